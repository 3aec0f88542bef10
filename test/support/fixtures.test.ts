import { stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { handleOf, useFixture, useTempDir, useTracked, type FixtureSlot } from './fixtures.js';

describe('a fixture handle', () => {
  it('says which fixture is not running when used too early', () => {
    const slot: FixtureSlot<{ issuer: string }> = { current: undefined, name: 'useAuthServer()' };
    const handle = handleOf(slot);
    expect(() => handle.issuer).toThrow(/useAuthServer\(\) is not running here/);
  });

  it('forwards reads, writes, `in`, keys and method calls to the current value', () => {
    const value = {
      count: 1,
      bump(this: { count: number }) {
        this.count += 1;
        return this.count;
      },
    };
    const slot: FixtureSlot<typeof value> = { current: value, name: 'counter' };
    const handle = handleOf(slot);
    const bump = handle.bump as () => number; // bound: works detached, as a callback
    expect(bump()).toBe(2);
    handle.count = 10;
    expect(value.count).toBe(10);
    expect('bump' in handle).toBe(true);
    expect(Object.keys(handle)).toEqual(['count', 'bump']);
    expect(JSON.stringify(handle)).toBe('{"count":10}');
    slot.current = { ...value, count: 5 };
    expect(handle.count).toBe(5);
  });
});

describe('useFixture', () => {
  const log: string[] = [];
  const outer = useFixture({
    name: 'outer',
    scope: 'file',
    setup: () => {
      log.push('outer up');
      return { name: 'outer' };
    },
    teardown: () => log.push('outer down'),
  });
  const inner = useFixture({
    name: 'inner',
    scope: 'test',
    // A later fixture may use an earlier one.
    setup: () => {
      log.push(`inner up (${outer.name})`);
      return { name: 'inner' };
    },
    teardown: () => log.push('inner down'),
  });

  it('starts file fixtures once and test fixtures per test, in order', () => {
    expect(inner.name).toBe('inner');
    expect(log).toEqual(['outer up', 'inner up (outer)']);
  });

  it('tears a test fixture down after each test, before the next starts', () => {
    expect(log).toEqual(['outer up', 'inner up (outer)', 'inner down', 'inner up (outer)']);
  });
});

describe('useTempDir', () => {
  const temp = useTempDir('tb-fixtures-');
  const seen: string[] = [];

  it('gives each test a directory of its own', async () => {
    seen.push(temp.path);
    expect((await stat(temp.path)).isDirectory()).toBe(true);
  });

  it('removes it after the test', async () => {
    expect(temp.path).not.toBe(seen[0]);
    await expect(stat(seen[0] as string)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('useTracked', () => {
  const disposed: string[] = [];
  const track = useTracked<{ name: string }>((value) => {
    disposed.push(value.name);
  });

  it('hands the value back', () => {
    const first = { name: 'first' };
    expect(track(first)).toBe(first);
    track({ name: 'second' });
    expect(disposed).toEqual([]);
  });

  it('disposed what the previous test tracked, the last first', () => {
    expect(disposed).toEqual(['second', 'first']);
  });
});
