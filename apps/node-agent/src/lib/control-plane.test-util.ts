import { createServer, type Server } from 'node:http';
import { KeyRing, TokenIssuer } from '@bosun/auth';

/** A stand-in control plane for the node agent's specs: a real key ring, its JWKS served over loopback HTTP, and an issuer. */
export interface TestControlPlane {
  url: string;
  issuer: TokenIssuer;
  ring: KeyRing;
  close(): void;
}

/** Starts {@link TestControlPlane} on 127.0.0.1 (a random port). */
export async function startTestControlPlane(): Promise<TestControlPlane> {
  const ring = await KeyRing.open();
  const jwks: Server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ring.jwks()));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(jwks.address() as { port: number }).port}`;
  return { url, ring, issuer: new TokenIssuer({ keyRing: ring, issuer: url }), close: () => void jwks.close() };
}
