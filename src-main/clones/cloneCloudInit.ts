// A clone of a VM made from a cloud image (pure): the clone gets its own copies of the files quick
// create put in the source's folder (the key `hangar ssh` uses, the guest's known host key, the
// NoCloud seed), so that it stays reachable when the source is deleted, and its own loopback SSH port,
// so that `hangar ssh CLONE` reaches the clone and both can run at once. Other port forwards are kept
// as they are, as VirtualBox keeps a clone's NAT rules: starting both VMs then says which port clashes.
import { join, relative } from 'node:path';
import { sshForward, type VmConfig } from '../../src-vmm/model/index.js';

/** The source's files the clone needs a copy of: [from, to] pairs (files outside the source's folder stay shared). */
export function cloudInitCopies(cfg: VmConfig, sourceDir: string, cloneDir: string): [string, string][] {
  const ci = cfg.cloudInit;
  if (!ci) return [];
  const files = [ci.identityFile, ci.knownHostsFile, ci.seed].filter((f): f is string => f !== null && inside(f, sourceDir));
  return [...new Set(files)].map((f) => [f, moved(f, sourceDir, cloneDir)]);
}

/** The clone's config: cloud-init's files in its own folder, and `sshPort` on its SSH forward. */
export function cloudInitForClone(cfg: VmConfig, sourceDir: string, cloneDir: string, sshPort: number): VmConfig {
  const ci = cfg.cloudInit;
  if (!ci) return cfg;
  const move = (f: string) => (inside(f, sourceDir) ? moved(f, sourceDir, cloneDir) : f);
  const ssh = sshForward(cfg.nics);
  return {
    ...cfg,
    cloudInit: { ...ci, identityFile: ci.identityFile === null ? null : move(ci.identityFile), knownHostsFile: move(ci.knownHostsFile), seed: move(ci.seed) },
    opticals: cfg.opticals.map((o) => (o.path === ci.seed ? { ...o, path: move(ci.seed) } : o)),
    nics: cfg.nics.map((n) => ({ ...n, forwards: n.forwards.map((f) => (f === ssh ? { ...f, hostPort: sshPort } : f)) })),
  };
}

function inside(file: string, dir: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith('/');
}

function moved(file: string, from: string, to: string): string {
  return join(to, relative(from, file));
}
