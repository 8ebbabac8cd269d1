// Tests for Go semver; the table is Go's own (x/mod/semver/semver_test.go), in ascending order.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  build,
  canonical,
  compare,
  compareForSort,
  isPrerelease,
  isValid,
  major,
  majorMinor,
  max,
  prerelease,
  sortVersions,
} from './semver.js';

/** [input, canonical form or '' if invalid], in increasing order (equal canonicals compare equal). */
const TESTS: ReadonlyArray<readonly [string, string]> = [
  ['bad', ''],
  ['v1-alpha.beta.gamma', ''],
  ['v1-pre', ''],
  ['v1+meta', ''],
  ['v1-pre+meta', ''],
  ['v1.2-pre', ''],
  ['v1.2+meta', ''],
  ['v1.2-pre+meta', ''],
  ['v1.0.0-alpha', 'v1.0.0-alpha'],
  ['v1.0.0-alpha.1', 'v1.0.0-alpha.1'],
  ['v1.0.0-alpha.beta', 'v1.0.0-alpha.beta'],
  ['v1.0.0-beta', 'v1.0.0-beta'],
  ['v1.0.0-beta.2', 'v1.0.0-beta.2'],
  ['v1.0.0-beta.11', 'v1.0.0-beta.11'],
  ['v1.0.0-rc.1', 'v1.0.0-rc.1'],
  ['v1', 'v1.0.0'],
  ['v1.0', 'v1.0.0'],
  ['v1.0.0', 'v1.0.0'],
  ['v1.2', 'v1.2.0'],
  ['v1.2.0', 'v1.2.0'],
  ['v1.2.3-456', 'v1.2.3-456'],
  ['v1.2.3-456.789', 'v1.2.3-456.789'],
  ['v1.2.3-456-789', 'v1.2.3-456-789'],
  ['v1.2.3-456a', 'v1.2.3-456a'],
  ['v1.2.3-pre', 'v1.2.3-pre'],
  ['v1.2.3-pre+meta', 'v1.2.3-pre'],
  ['v1.2.3-pre.1', 'v1.2.3-pre.1'],
  ['v1.2.3-zzz', 'v1.2.3-zzz'],
  ['v1.2.3', 'v1.2.3'],
  ['v1.2.3+meta', 'v1.2.3'],
  ['v1.2.3+meta-pre', 'v1.2.3'],
  ['v1.2.3+meta-pre.sha.256a', 'v1.2.3'],
];

/** Extra invalid inputs beyond Go's table. */
const EXTRA_INVALID = ['', 'v', '1.2.3', 'V1.2.3', 'v01.2.3', 'v1.02.3', 'v1.2.03', 'v1.2.3-01', 'v1.2.3-', 'v1.2.3-a..b',
  'v1.2.3+', 'v1.2.3+a..b', 'v1.2.3.4', 'v1.2.3-a_b', 'v1.2.3 ', ' v1.2.3', 'v1.2.3-pré'];

void test('isValid and canonical follow Go', () => {
  for (const [input, want] of TESTS) {
    assert.equal(isValid(input), want !== '', input);
    assert.equal(canonical(input), want, input);
  }
  for (const input of EXTRA_INVALID) {
    assert.equal(isValid(input), false, input);
    assert.equal(canonical(input), '', input);
  }
  assert.equal(isValid('v1.2.3-0a'), true); // leading zero allowed in alphanumeric identifiers
  assert.equal(isValid('v1.2.3+01'), true); // and anywhere in build metadata
});

void test('major, majorMinor, prerelease, build derive from the parse', () => {
  for (const [input, out] of TESTS) {
    const wantMajor = out === '' ? '' : out.slice(0, out.indexOf('.'));
    assert.equal(major(input), wantMajor, input);

    let wantMM = '';
    if (out !== '') {
      wantMM = input.split('+')[0]?.split('-')[0] ?? '';
      const dots = wantMM.split('.').length - 1;
      if (dots === 0) wantMM += '.0';
      else if (dots === 2) wantMM = wantMM.slice(0, wantMM.lastIndexOf('.'));
    }
    assert.equal(majorMinor(input), wantMM, input);

    const dash = out.indexOf('-');
    const wantPre = out !== '' && dash >= 0 ? out.slice(dash) : '';
    assert.equal(prerelease(input), wantPre, input);
    assert.equal(isPrerelease(input), wantPre !== '', input);

    const plus = input.indexOf('+');
    assert.equal(build(input), out !== '' && plus >= 0 ? input.slice(plus) : '', input);
  }
  assert.equal(build('v2.0.0+incompatible'), '+incompatible');
});

void test('compare orders every pair like Go', () => {
  TESTS.forEach(([a, ca], i) => {
    TESTS.forEach(([b, cb], j) => {
      const want = ca === cb ? 0 : i < j ? -1 : 1;
      assert.equal(compare(a, b), want, `compare(${a}, ${b})`);
    });
  });
});

void test('compare: numbers by length then lexically; numeric identifiers before alphanumeric', () => {
  const cases: ReadonlyArray<readonly [string, string, number]> = [
    ['v1.10.0', 'v1.9.0', 1],
    ['v10.0.0', 'v9.0.0', 1],
    ['v1.0.0-2', 'v1.0.0-10', -1],
    ['v1.0.0-a', 'v1.0.0-1', 1],
    ['v1.0.0-a.b', 'v1.0.0-a', 1],
    ['v1.0.0+a', 'v1.0.0+b', 0],
    ['bad', 'alsobad', 0],
    ['bad', 'v0.0.0', -1],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(compare(a, b), want, `compare(${a}, ${b})`);
    assert.equal(compare(b, a), -want || 0, `compare(${b}, ${a})`);
  }
});

void test('max returns the canonical larger version', () => {
  TESTS.forEach(([a], i) => {
    TESTS.forEach(([b], j) => {
      const want = i < j ? canonical(b) : canonical(a);
      assert.equal(max(a, b), want, `max(${a}, ${b})`);
    });
  });
});

void test('sortVersions sorts by semver, ties by string, without mutating', () => {
  const input = TESTS.map(([v]) => v).reverse();
  const copy = [...input];
  const sorted = sortVersions(input);
  assert.deepEqual(input, copy);
  for (let k = 1; k < sorted.length; k++) {
    assert.ok(compareForSort(sorted[k - 1] ?? '', sorted[k] ?? '') <= 0, `${sorted[k - 1]} before ${sorted[k]}`);
  }
  assert.deepEqual(sortVersions(['v1.0.0+b', 'v1.0.0', 'v1.0.0+a', 'x', 'v0.1']), [
    'x',
    'v0.1',
    'v1.0.0',
    'v1.0.0+a',
    'v1.0.0+b',
  ]);
});
