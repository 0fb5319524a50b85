import { describe, expect, it } from 'vitest';
import { embeddedJson, MAX_EMBEDDED_BLOCKS } from '../../../src/services/hooks/email';

describe('embeddedJson', () => {
  it.each([
    ['JSON-LD', '<script type="application/ld+json">{"a":1}</script>', [{ a: 1 }]],
    ['JSON with a charset, any case', '<SCRIPT TYPE="Application/JSON; charset=utf-8">[1,2]</SCRIPT>', [[1, 2]]],
    [
      'in document order',
      '<script type="application/json">1</script><p>x</p><script type="application/ld+json">"two"</script>',
      [1, 'two'],
    ],
    ['scripts of other types ignored', '<script>var a = {"x":1}</script><script type="text/json">{}</script>', []],
    ['no markup', 'plain text, no HTML at all', []],
    // Script content is raw text (as browsers read it): entities inside stay as written; markup does not end it.
    ['raw text inside', '<script type="application/json">{"q":"a &amp; b <b>"}</script>', [{ q: 'a &amp; b <b>' }]],
    ['unclosed at the end', '<script type="application/json">{"cut":true}', [{ cut: true }]],
  ])('%s', (_name, html, blocks) => {
    expect(embeddedJson(html).blocks).toEqual(blocks);
  });

  it('reports blocks that are not JSON with their index, and keeps the others', () => {
    const html = '<script type="application/json">{oops}</script><script type="application/json">{"ok":1}</script>';
    const result = embeddedJson(html);
    expect(result.blocks).toEqual([{ ok: 1 }]);
    expect(result.invalid).toEqual([{ index: 0, message: expect.stringMatching(/JSON/) }]);
  });

  it(`keeps at most ${MAX_EMBEDDED_BLOCKS} blocks`, () => {
    const html = '<script type="application/json">{}</script>'.repeat(MAX_EMBEDDED_BLOCKS + 5);
    expect(embeddedJson(html).blocks).toHaveLength(MAX_EMBEDDED_BLOCKS);
  });
});
