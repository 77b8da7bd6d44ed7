/**
 * The `release-gate` command's entry: help is answered from the command table alone (no AWS SDK,
 * no domain code loaded), so `--help` answers at once; anything else loads the CLI (main.ts).
 */
import { helpAnswer } from './command-table.js';

const help = helpAnswer(process.argv.slice(2));
if (help === null) {
  await import('./main.js');
} else {
  process.stdout.write(help.text);
  process.exitCode = help.code;
}
