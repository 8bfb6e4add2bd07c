/** Where a site's schedulers are reached: the gateway's proxy, as a `gateway://` address. */

/** `gateway://host:port` from the configured proxy address or the API address. */
export function proxyAddressFor(
  address: string,
  proxyAddress?: string
): string {
  if (proxyAddress) {
    const match = /^[a-z][a-z0-9+.-]*:\/\/([^/]+)/i.exec(proxyAddress);
    return `gateway://${match ? match[1] : proxyAddress.replace(/\/+$/, '')}`;
  }
  const url = new URL(address);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  // Node keeps IPv6 brackets in `hostname`.
  return `gateway://${url.hostname}:${port}`;
}
