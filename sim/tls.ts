/**
 * The simulator's TLS material: a throw-away CA made at start-up and a server certificate it signs for
 * 127.0.0.1/localhost. The Azure SDK refuses bearer tokens over plain http, so the simulator must speak
 * https; clients trust the CA file (NODE_EXTRA_CA_CERTS, or `ca` passed to their HTTP pipeline).
 */
import { generate } from 'selfsigned';

export interface SimulatorTls {
  /** PEM of the CA certificate: what clients trust. */
  caCert: string;
  /** PEM server certificate (signed by the CA) and its key: what the HTTPS servers present. */
  cert: string;
  key: string;
}

export async function makeSimulatorTls(): Promise<SimulatorTls> {
  const now = new Date();
  const notBeforeDate = new Date(now.getTime() - 60_000);
  const notAfterDate = new Date(now.getTime() + 30 * 24 * 3600_000);
  // EC keys: generating two RSA keys at every start-up costs ~0.5 s of CPU on a shared machine.
  const ca = await generate([{ name: 'commonName', value: 'aksnet simulator CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { caCert: ca.cert, cert: server.cert, key: server.private };
}
