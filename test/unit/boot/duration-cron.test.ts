import { describe, expect, it } from 'vitest';
import { cronProblem, normalizeCron } from '../../../src/core/boot/cron.js';
import { formatDuration, parseDuration } from '../../../src/core/boot/duration.js';

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['0', 0], ['90s', 90], ['5m', 300], ['1h', 3600], ['24h', 86400], ['2d', 172800], ['1h30m', 5400], ['5M', 300], ['0s', 0],
  ])('%s is %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toEqual({ seconds });
  });

  it.each(['', '5', '-5m', '1.5h', '5 m', 'm5', '5w', 'off', '1h 30m', '99999d'])('refuses %j with what to write instead', (text) => {
    const result = parseDuration(text);
    expect(result).toHaveProperty('problem');
    expect('problem' in result && result.problem).toMatch(/e\.g\.|shorter/);
  });

  it.each<[number, string]>([[0, '0'], [90, '1m30s'], [300, '5m'], [86400, '1d'], [5400, '1h30m']])('formats %i seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('cron expressions, by the rules of PocketBase\'s scheduler', () => {
  it.each(['*/10 * * * *', '* * * * *', '0 3 * * 1-5', '5,35 */2 1-15 1,6,12 0', '0-30/5 * * * *', '@hourly', '@daily', '@midnight', '@weekly', '@monthly', '@yearly', '@annually', ' */5  *  * * * '])(
    'accepts %j',
    (expression) => {
      expect(cronProblem(expression)).toBeUndefined();
    },
  );

  it.each([
    ['* * * *', /has 4 fields/],
    ['* * * * * *', /has 6 fields/],
    ['60 * * * *', /minute field/],
    ['* 24 * * *', /hour field/],
    ['* * 0 * *', /day of month/],
    ['* * * 13 *', /month field/],
    ['* * * * 7', /day of week/],
    ['*/0 * * * *', /minute field/],
    ['*/61 * * * *', /minute field/],
    ['5/2 * * * *', /minute field/],
    ['10-5 * * * *', /minute field/],
    ['a * * * *', /minute field/],
    ['@every 5m', /not a cron macro/],
    ['@reboot', /not a cron macro/],
  ])('refuses %j', (expression, problem) => {
    expect(cronProblem(expression)).toMatch(problem);
  });

  it('collapses runs of whitespace, as PocketBase splits on single spaces', () => {
    expect(normalizeCron('  */5   * * *\t* ')).toBe('*/5 * * * *');
  });
});
