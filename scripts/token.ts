/**
 * Prints a signed JWT for a demo user, accepted by a server in dev-issuer mode with the same DATA_DIR:
 *   npm run -s token -- --user alice@example.com [--tenant texas] [--ttl 3600]
 * Only the token goes to stdout, so `TOKEN=$(npm run -s token -- --user …)` works. A refusal is one
 * line on stderr and exit code 2.
 */
import { tokenCommand } from './token-command.js';

const outcome = await tokenCommand(process.argv.slice(2), process.env);
if ('token' in outcome) {
  process.stdout.write(`${outcome.token}\n`);
} else {
  process.stderr.write(`token: ${outcome.refusal}\n`);
  process.exitCode = 2;
}
