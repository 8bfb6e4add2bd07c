/** HTTP requests with the path exactly as written (fetch resolves dot segments first). */
import { request } from 'node:http';

export interface IRawAnswer {
  status: number;
  body: string;
}

export function rawRequest(
  base: string,
  path: string,
  options: {
    method?: string;
    headers?: { [name: string]: string };
    body?: Buffer | string;
  } = {}
): Promise<IRawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      { method: options.method ?? 'GET', headers: options.headers },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', chunk => chunks.push(chunk as Buffer));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8')
          })
        );
      }
    );
    req.path = path;
    req.on('error', reject);
    req.end(options.body);
  });
}
