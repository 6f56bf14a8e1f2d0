/**
 * A reason the app cannot start that the user can fix (a busy port, a missing setting, a data folder in
 * use): the servers print its message, one clear line or list, with no stack trace, and exit with code 1.
 */
export class StartupError extends Error {
  override name = 'StartupError';
}
