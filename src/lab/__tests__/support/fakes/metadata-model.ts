/** A cell or notebook model's metadata, as JupyterLab 4 exposes it; counts the writes. */
export class FakeMetadataModel {
  data: { [key: string]: unknown } = {};
  writes = 0;
  getMetadata(key: string): unknown {
    return this.data[key] === undefined
      ? undefined
      : JSON.parse(JSON.stringify(this.data[key]));
  }
  setMetadata(key: string, value: unknown): void {
    this.writes += 1;
    this.data[key] = value;
  }
  deleteMetadata(key: string): unknown {
    this.writes += 1;
    const old = this.data[key];
    delete this.data[key];
    return old;
  }
}
