// Prints the README's configuration table from src/config.ts, the one place variables are declared.
import { configTable } from '../src/config.ts';

process.stdout.write(`${configTable()}\n`);
