import { cpus, release, totalmem, type as osType } from 'node:os';

/** One line naming the machine a benchmark ran on. */
export function machineDescription(): string {
  const list = cpus();
  const model = list[0]?.model.trim() ?? 'unknown CPU';
  const gib = (totalmem() / 1024 ** 3).toFixed(1);
  return `${model}, ${list.length} cores, ${gib} GiB RAM, Node ${process.version}, ${osType()} ${release()}`;
}
