// `hangar media list`, `disk resize|compact` and `usb list|attach|detach`: flags → requests, and what
// they print. Bad usage (a size that is not one, a shrink, VENDOR:PRODUCT that is not hex) is refused
// here, before anything reaches the owner.
import { resolve as resolvePath } from 'node:path';
import type { Client, Progress } from '../../src-vmm/base/rpc.js';
import { parseUsbId } from '../../src-vmm/model/index.js';
import { parseSizeRequest } from '../../src-vmm/storage/resize.js';
import type { HangarApi } from '../api/contract.js';
import type { MediaItem } from '../media/schemas.js';
import { usersOf } from '../media/describe.js';
import { usageError, type ParsedCommand } from './args.js';
import { formatBytes, formatTable } from './output.js';

type Api = Client<HangarApi>;
type Print = (p: ParsedCommand, value: unknown, human: () => string) => void;
type WithProgress = <T>(p: ParsedCommand, label: string, call: (opts: { signal: AbortSignal; onProgress: (pr: Progress) => void }) => Promise<T>) => Promise<T>;

export function formatMedia(media: readonly MediaItem[], unused: boolean): string {
  if (media.length === 0) return unused ? "no unused images: everything in Hangar's home is used" : 'no disk images or ISOs yet';
  return formatTable(
    ['PATH', 'FORMAT', 'ROLE', 'SIZE', 'ON DISK', 'CHAIN', 'USED BY'],
    media.map((m) => [
      m.path,
      m.problem ? `? (${m.problem})` : m.format,
      m.role,
      formatBytes(m.virtualSizeBytes),
      formatBytes(m.allocatedBytes),
      m.chain.length > 1 ? `on ${m.chain.length - 1} image(s)` : '-',
      usersOf(m),
    ]),
  );
}

export async function runMediaCommand(api: Api, p: ParsedCommand, print: Print, withProgress: WithProgress): Promise<number> {
  const [vm = '', second = '', third = ''] = p.args;
  switch (p.command) {
    case 'media list': {
      const unused = p.flags.unused === true;
      const r = await api.call('media.list', { unused });
      print(p, r, () => formatMedia(r.media, unused));
      return 0;
    }
    case 'disk resize': {
      const size = parseSizeRequest(third);
      if (!size.ok) throw usageError(`SIZE '${third}': ${size.message}`);
      const r = await withProgress(p, 'resizing', (opts) => api.call('disk.resize', { ref: vm, disk: second, ...size.request }, opts));
      print(p, r, () => [`disk ${r.disk} of '${r.vm}' grew from ${formatBytes(r.fromBytes)} to ${formatBytes(r.toBytes)}${r.online ? ' while it runs' : ''}`, ...r.notes.map((n) => `note: ${n}`)].join('\n'));
      return 0;
    }
    case 'disk compact': {
      const r = await withProgress(p, 'compacting', (opts) => api.call('disk.compact', { ref: vm, disk: second }, opts));
      print(p, r, () => `disk ${r.disk} of '${r.vm}' compacted: ${formatBytes(r.beforeAllocatedBytes)} → ${formatBytes(r.afterAllocatedBytes)} on disk (file ${formatBytes(r.beforeBytes)} → ${formatBytes(r.afterBytes)})`);
      return 0;
    }
    case 'usb list': {
      const r = await api.call('usb.list', {});
      print(p, r, () =>
        r.devices.length === 0
          ? 'this host has no USB devices (nothing in /sys/bus/usb/devices)'
          : formatTable(
              ['ID', 'BUS', 'PORT', 'DEVICE', 'NAME', 'ACCESS'],
              r.devices.map((d) => [
                `${d.vendorId}:${d.productId}`,
                String(d.bus).padStart(3, '0'),
                d.port,
                String(d.device).padStart(3, '0'),
                [d.manufacturer, d.product].filter(Boolean).join(' ') || (d.hub ? 'hub' : '-'),
                d.accessible ? 'yes' : `no: ${d.accessProblem ?? ''}`,
              ]),
            ),
      );
      return 0;
    }
    case 'usb attach': {
      const image = typeof p.flags.image === 'string' ? p.flags.image : undefined;
      const device = typeof p.flags.device === 'string' ? p.flags.device : undefined;
      if ((image === undefined) === (device === undefined)) throw usageError('usb attach needs either --image FILE or --device VENDOR:PRODUCT');
      let input: { ref: string; image: string } | { ref: string; device: { vendorId: string; productId: string } };
      if (device !== undefined) {
        const ids = parseUsbId(device);
        if (!ids) throw usageError(`--device '${device}': give VENDOR:PRODUCT as four hexadecimal digits each, such as 0781:5567 ('hangar usb list' shows them)`);
        input = { ref: vm, device: ids };
      } else input = { ref: vm, image: resolvePath(image!) };
      const r = await api.call('usb.attach', input);
      const what = r.device.kind === 'storage' ? r.device.path : `${r.device.vendorId}:${r.device.productId}`;
      print(p, r, () => `${r.device.id}: ${what} attached to '${r.vm}'${r.live ? ' (plugged in now)' : ' (plugged in at its next start)'}`);
      return 0;
    }
    case 'usb detach': {
      const r = await api.call('usb.detach', { ref: vm, id: second });
      print(p, r, () => `${r.device.id} detached from '${r.vm}'`);
      return 0;
    }
  }
  throw usageError(`'${p.command}' is not a media command`);
}
