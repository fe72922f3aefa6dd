// An OVF package's .cert: a manifest-style line `SHA256(app.mf)= <hex>` whose hex is the signature
// over the .mf bytes (made with the certificate's key and that digest), then the signer's PEM
// certificate and possibly its chain (VMware OVF Tool, "OVF Package Signing"; DIALECTS.md section 2).
// A certificate never blocks an import: everything here reports, nothing throws.
import { X509Certificate, verify as verifySignature } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { parseDigestLine, type ManifestAlgorithm } from './manifest.js';

export interface CertificateReport {
  /** The signer, e.g. "CN=Example Appliances, O=Example Inc, C=US"; '' when unreadable. */
  subject: string;
  issuer: string;
  /** ISO 8601; '' when unreadable. */
  validFrom: string;
  validTo: string;
  expired: boolean;
  notYetValid: boolean;
  selfSigned: boolean;
  /** The signature in the .cert matches the manifest's bytes under the certificate's key. */
  signatureValid: boolean;
  /** The certificate chains (through any certificates in the .cert) to one of Node's root certificates. */
  trustedBySystem: boolean;
  /** The file the signature line names (the .mf), '' when there is no such line. */
  signedFile: string;
  algorithm: ManifestAlgorithm | null;
  /** Set when the .cert could not be checked at all (malformed, no manifest…). */
  problem?: string;
}

export interface InspectCertificateOptions {
  /** The time to judge validity at; default now. */
  now?: Date;
  /** Trust anchors, PEM; default Node's bundled roots (tls.rootCertificates). */
  roots?: readonly string[];
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

const oneLine = (dn: string): string =>
  dn
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .reverse()
    .join(', ');

function isoDate(s: string): string {
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

let systemRoots: X509Certificate[] | null = null;
function parseRoots(pems: readonly string[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const pem of pems) {
    try {
      out.push(new X509Certificate(pem));
    } catch {
      // a root Node cannot parse is simply not a trust anchor
    }
  }
  return out;
}

function withinValidity(c: X509Certificate, now: Date): boolean {
  const from = new Date(c.validFrom).getTime();
  const to = new Date(c.validTo).getTime();
  return !(now.getTime() < from || now.getTime() > to);
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

/** Walks from `leaf` through `extra` (the chain shipped in the .cert) to a root. */
function chainsToRoot(leaf: X509Certificate, extra: X509Certificate[], roots: X509Certificate[], now: Date): boolean {
  let current = leaf;
  const used = new Set<string>();
  for (let depth = 0; depth < 8; depth++) {
    if (roots.some((r) => r.fingerprint256 === current.fingerprint256)) return true;
    if (roots.some((r) => withinValidity(r, now) && issuedBy(current, r))) return true;
    const next = extra.find((c) => !used.has(c.fingerprint256) && withinValidity(c, now) && c.ca && issuedBy(current, c));
    if (!next) return false;
    used.add(next.fingerprint256);
    current = next;
  }
  return false;
}

const NODE_DIGEST: Record<ManifestAlgorithm, string> = { md5: 'md5', sha1: 'sha1', sha256: 'sha256', sha512: 'sha512' };

/** Reads a .cert and checks its signature over `manifestBytes` (the .mf exactly as stored). */
export function inspectCertificate(certText: string, manifestBytes: Uint8Array, opts: InspectCertificateOptions = {}): CertificateReport {
  const report: CertificateReport = {
    subject: '',
    issuer: '',
    validFrom: '',
    validTo: '',
    expired: false,
    notYetValid: false,
    selfSigned: false,
    signatureValid: false,
    trustedBySystem: false,
    signedFile: '',
    algorithm: null,
  };
  const now = opts.now ?? new Date();
  const text = certText.replace(/^\uFEFF/, '');
  const pems = text.match(PEM) ?? [];
  if (pems.length === 0) return { ...report, problem: 'it holds no PEM certificate' };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pems[0]!);
  } catch (e) {
    return { ...report, problem: `its certificate cannot be read (${(e as Error).message})` };
  }
  report.subject = oneLine(cert.subject);
  report.issuer = oneLine(cert.issuer);
  report.validFrom = isoDate(cert.validFrom);
  report.validTo = isoDate(cert.validTo);
  report.expired = report.validTo !== '' && now.getTime() > Date.parse(report.validTo);
  report.notYetValid = report.validFrom !== '' && now.getTime() < Date.parse(report.validFrom);
  report.selfSigned = issuedBy(cert, cert);
  const extra = parseRoots(pems.slice(1));
  let roots: X509Certificate[];
  if (opts.roots) roots = parseRoots(opts.roots);
  else roots = systemRoots ??= parseRoots(rootCertificates);
  report.trustedBySystem = chainsToRoot(cert, extra, roots, now);

  const before = text.slice(0, text.indexOf('-----BEGIN CERTIFICATE-----'));
  const lines = before.split(/\r?\n|\r/).filter((l) => l.trim() !== '');
  const line = lines.map(parseDigestLine).find((l) => l !== null) ?? null;
  if (!line) return { ...report, problem: 'it has no signature line of the form SHA256(file.mf)= hex before the certificate' };
  report.signedFile = line.file;
  report.algorithm = line.algorithm;
  if (line.hex.length % 2 !== 0) return { ...report, problem: 'its signature is not whole bytes of hex' };
  if (manifestBytes.length === 0) return { ...report, problem: 'the package has no manifest for it to sign' };
  try {
    report.signatureValid = verifySignature(NODE_DIGEST[line.algorithm], manifestBytes, cert.publicKey, Buffer.from(line.hex, 'hex'));
  } catch (e) {
    return { ...report, problem: `its signature cannot be checked (${(e as Error).message})` };
  }
  return report;
}
