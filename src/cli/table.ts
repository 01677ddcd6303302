/** Tables for listing commands (cli-table3), plain and uncoloured when stdout is not a TTY. */
import Table from 'cli-table3';
import { useColor } from './output.js';

export function printTable(head: string[], rows: (string | number)[][]): void {
  const color = useColor();
  const table = new Table({
    head,
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: true },
    chars: color ? undefined : { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
  });
  for (const r of rows) table.push(r.map(String));
  process.stdout.write(`${table.toString()}\n`);
}
