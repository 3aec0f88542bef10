import { describe, expect, it } from 'vitest';
import { closest, didYouMean, editDistance } from '../../main/cli/suggest.js';

describe('editDistance (optimal string alignment)', () => {
  it('counts insertions, deletions, substitutions and neighbour swaps as one edit each', () => {
    expect(editDistance('work', 'work')).toBe(0);
    expect(editDistance('wrok', 'work')).toBe(1);
    expect(editDistance('--fromat', '--format')).toBe(1);
    expect(editDistance('tokn', 'token')).toBe(1);
    expect(editDistance('tokenn', 'token')).toBe(1);
    expect(editDistance('tiken', 'token')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('closest', () => {
  it('finds the slips a person makes', () => {
    expect(closest('wrok', ['work', 'personal', 'ci'])).toEqual(['work']);
    expect(closest('--fromat', ['--format', '--min-ttl', '--scope'])).toEqual(['--format']);
    expect(closest('WORK', ['work'])).toEqual(['work']);
    expect(closest('acc', ['account', 'audit'])).toEqual(['account']);
  });

  it('stays quiet when nothing is near, and never suggests the input itself', () => {
    expect(closest('zzz', ['work', 'personal'])).toEqual([]);
    expect(closest('', ['work'])).toEqual([]);
    expect(closest('work', ['work'])).toEqual([]);
    expect(closest('x', ['y', 'serve'])).toEqual(['y']);
  });

  it('orders by distance, then name, at most three', () => {
    expect(closest('work', ['worker', 'wor', 'works', 'word', 'fork'])).toEqual(['fork', 'wor', 'word']);
    expect(closest('work', ['worker', 'wor', 'works', 'word', 'fork'], 5)).toEqual(['fork', 'wor', 'word', 'worker', 'works']);
  });
});

describe('didYouMean', () => {
  it('phrases one or several suggestions', () => {
    expect(didYouMean('wrok', ['work'])).toBe(" Did you mean 'work'?");
    expect(didYouMean('wor', ['work', 'word'])).toBe(" Did you mean 'word' or 'work'?");
    expect(didYouMean('wor', ['work', 'word', 'worm'])).toBe(" Did you mean 'word', 'work' or 'worm'?");
    expect(didYouMean('--fromat', ['--format'], (n) => n)).toBe(' Did you mean --format?');
    expect(didYouMean('qqq', ['work'])).toBe('');
  });
});
