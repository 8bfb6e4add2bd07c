// jsdom lacks a few browser APIs that JupyterLab's packages touch at import time.
const { TextDecoder, TextEncoder } = require('util');
globalThis.TextEncoder = globalThis.TextEncoder || TextEncoder;
globalThis.TextDecoder = globalThis.TextDecoder || TextDecoder;
if (typeof globalThis.DragEvent === 'undefined') {
  globalThis.DragEvent = class DragEvent extends MouseEvent {};
}
if (typeof globalThis.ClipboardEvent === 'undefined') {
  globalThis.ClipboardEvent = class ClipboardEvent extends Event {};
}
window.matchMedia =
  window.matchMedia ||
  (() => ({
    matches: false,
    addListener: () => undefined,
    removeListener: () => undefined,
    addEventListener: () => undefined,
    removeEventListener: () => undefined
  }));
if (!navigator.clipboard) {
  // Records what was copied: `navigator.clipboard.copied`.
  const clipboard = {
    copied: [],
    writeText: async text => {
      clipboard.copied.push(text);
    },
    readText: async () => clipboard.copied[clipboard.copied.length - 1] ?? '',
    write: async () => undefined,
    read: async () => []
  };
  Object.defineProperty(navigator, 'clipboard', {
    value: clipboard,
    configurable: true
  });
}
