// A small badge for the OS family of a VM (no vendor logos: a generic symbol and a colour per family).
import ComputerIcon from '@mui/icons-material/Computer';
import DnsIcon from '@mui/icons-material/Dns';
import TerminalIcon from '@mui/icons-material/Terminal';
import WindowIcon from '@mui/icons-material/Window';
import { Avatar } from '@mui/material';
import { amber, blue, blueGrey, red } from '@mui/material/colors';

const FAMILIES: Record<string, { label: string; color: string; Icon: typeof ComputerIcon }> = {
  linux: { label: 'Linux', color: amber[800], Icon: TerminalIcon },
  windows: { label: 'Windows', color: blue[600], Icon: WindowIcon },
  bsd: { label: 'BSD', color: red[700], Icon: DnsIcon },
  other: { label: 'Other OS', color: blueGrey[500], Icon: ComputerIcon },
};

export function familyLabel(family: string): string {
  return (FAMILIES[family] ?? FAMILIES.other!).label;
}

export function OsIcon({ family, size = 36 }: { family: string; size?: number }) {
  const f = FAMILIES[family] ?? FAMILIES.other!;
  return (
    <Avatar variant="rounded" sx={{ bgcolor: f.color, color: '#fff', width: size, height: size }} aria-hidden>
      <f.Icon fontSize={size >= 40 ? 'medium' : 'small'} />
    </Avatar>
  );
}
