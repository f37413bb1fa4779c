/**
 * Start-up could not complete for a reason the operator must fix outside the process (the database
 * cannot be reached, the port is taken). The message is one line, printed as is by src/main.ts.
 */
export class StartupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StartupError';
  }
}
