/**
 * The yargs set-up every command shares: values stay strings (each command
 * converts and checks them, naming the flag), unknown options are errors,
 * and errors are UserErrors, never an exit from inside yargs.
 */
import yargs from 'yargs';
import { UserError } from './errors.js';

export function strictParser() {
  return yargs()
    .parserConfiguration({
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'camel-case-expansion': false,
      'strip-aliased': true,
      'strip-dashed': false,
      'boolean-negation': false,
    })
    .strictOptions()
    .help(false)
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      throw new UserError(msg ?? err?.message ?? 'cannot parse the command line');
    });
}
