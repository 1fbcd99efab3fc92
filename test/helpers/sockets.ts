// Linux /proc readers for the tests that assert which sockets Spark's processes listen on.
import fs from "node:fs";

export function readOr(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return ""; // the process ended meanwhile
  }
}

/** `root` and every live descendant (the Python daemon and workers the JVM forks). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOr(`/proc/${entry}/stat`);
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(Number(entry));
  }
  const out: number[] = [];
  for (const queue = [root]; queue.length > 0; ) {
    const pid = queue.pop()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

export function socketInodes(pid: number): string[] {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  return fds.flatMap((fd) => {
    try {
      const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      return match ? [match[1]!] : [];
    } catch {
      return [];
    }
  });
}

/** Listening TCP sockets (state 0A) by inode, as "address:port" ([v6] in brackets). */
export function listeningSockets(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [file, v6] of [["/proc/net/tcp", false], ["/proc/net/tcp6", true]] as const) {
    for (const line of readOr(file).split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== "0A") continue;
      const [hex, portHex] = fields[1]!.split(":");
      const address = v6 ? `[${ipv6(hex!)}]` : ipv4(hex!);
      out.set(fields[9]!, [...(out.get(fields[9]!) ?? []), `${address}:${Number.parseInt(portHex!, 16)}`]);
    }
  }
  return out;
}

// /proc/net/tcp writes each 32-bit word in host (little-endian) byte order.
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join(".");
}

function ipv6(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) for (const i of [6, 4, 2, 0]) bytes.push(Number.parseInt(hex.slice(w * 8 + i, w * 8 + i + 2), 16));
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join(".")}`;
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return "::1";
  if (bytes.every((b) => b === 0)) return "::";
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":");
}

/** Every listening address of `roots` and their descendants, e.g. "[::ffff:127.0.0.1]:15002". */
export function listeningAddressesOf(roots: number[]): string[] {
  const listening = listeningSockets();
  const pids = new Set(roots.flatMap((pid) => processTree(pid)));
  return [...pids].flatMap((pid) => socketInodes(pid)).flatMap((inode) => listening.get(inode) ?? []);
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|\[::ffff:127\.\d+\.\d+\.\d+\]):\d+$/;
export const isLoopbackAddress = (address: string) => LOOPBACK.test(address);
