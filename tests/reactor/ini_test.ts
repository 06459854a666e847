// The INI syntax read value for value as npm:ini 7 read it (the parser used before reactor/ini.ts):
// the expected values below are what the config reader answered on npm:ini for the same text.
import assert from "node:assert/strict";
import { IniSyntaxError, parseIni } from "../../reactor/ini.ts";

/** `section -> key -> value` as plain objects, for deepEqual. */
function plain(text: string): Record<string, Record<string, string | string[]>> {
  const out: Record<string, Record<string, string | string[]>> = {};
  for (const [name, keys] of parseIni(text)) out[name] = Object.fromEntries(keys);
  return out;
}

Deno.test("ini - inline comments end a value unless quoted or escaped", () => {
  assert.deepEqual(
    plain(
      "[a]\nx = 1 ; c\ny = 2 # c\nz = \"a;b#c\"\nw = 'q;r'\nv = \"123\"\nu = '123'\n" +
        "e1 = a\\;b\ne2 = a\\#b\ne3 = a\\b\ne4 = end\\\ne5 = a\\\\;b\n",
    ),
    {
      a: {
        x: "1",
        y: "2",
        z: "a;b#c",
        w: "q;r",
        v: "123",
        u: "123",
        e1: "a;b",
        e2: "a#b",
        e3: "a\\b",
        e4: "end\\",
        e5: "a\\",
      },
    },
  );
});

Deno.test("ini - quoted values are read as JSON strings, or kept when they are not JSON", () => {
  assert.deepEqual(
    plain('[a]\nx = "a\\nb"\ny = "bad\\q"\nz = "\nq = \'\nr = \'\'\ns = ""\n'),
    { a: { x: "a\nb", y: '"bad\\q"', z: '"', q: "", r: "", s: "" } },
  );
  assert.deepEqual(plain("[a]\nx = '[1, 2]'\ny = '{\"a\":1}'\nz = 'true'\n"), {
    a: { x: ["1", "2"], y: "[object Object]", z: "true" },
  });
});

Deno.test("ini - a later key wins; key[] lines make a list", () => {
  assert.deepEqual(
    plain("[a]\nx = 1\nx = 2\ny[] = 1\ny[] = 2\nz = 1\nz[] = 2\nw[] = 1\nw = 2\n"),
    { a: { x: "2", y: ["1", "2"], z: ["1", "2"], w: ["1", "2"] } },
  );
});

Deno.test("ini - sections in file order, continued when named again, dots kept", () => {
  const text = "[a]\n[b]\nx = 1\n[a]\ny = 2\n[a.b]\nz = 3\n[ c ] ; comment\nk = v\n[d;e]\nm = n\n";
  assert.deepEqual([...parseIni(text).keys()], ["a", "b", "a.b", "c", "d"]);
  assert.deepEqual(plain(text), {
    a: { y: "2" },
    b: { x: "1" },
    "a.b": { z: "3" },
    c: { k: "v" },
    d: { m: "n" },
  });
});

Deno.test("ini - keys before a section, __proto__ ignored, words and = kept as text", () => {
  assert.deepEqual(plain("top = 1\n[__proto__]\nx = 1\n[s]\n__proto__ = 2\nok = 3\n"), {
    "": { top: "1" },
    s: { ok: "3" },
  });
  assert.deepEqual(
    plain("[a]\nx = true\ny = false\nz = null\nw =\nv = = 5\nu=a=b\n t = 7 \n"),
    { a: { x: "true", y: "false", z: "null", w: "", v: "= 5", u: "a=b", t: "7" } },
  );
  assert.deepEqual(plain("[a]\nx;y = 1\n'k' = 2\n\"q\" = 3\nlong key name = 4\n"), {
    a: { x: "1", k: "2", q: "3", "long key name": "4" },
  });
});

Deno.test("ini - comment lines, blank lines and every line ending", () => {
  assert.deepEqual(plain("; only comment\n# other\n\n[a]\r\nx = 1\r\n\ry = 2\r"), {
    a: { x: "1", y: "2" },
  });
  assert.deepEqual(plain("[a]\n  # indented comment\n\t; tab comment\nx = 1\n"), { a: { x: "1" } });
});

Deno.test("ini - a line that is not a comment, section or key = value names its number", () => {
  for (
    const [text, line, shown] of [
      ["[a]\nport = 7777\nthreadNum 3\n", 3, '"threadNum 3"'],
      ["[a]\n= 5\n", 2, '"= 5"'],
      ["[a\nx = 1\n", 1, '"[a"'],
      ["// c\n", 1, '"// c"'],
      ["[a]\n  = 5 \n", 2, '"= 5"'],
    ] as const
  ) {
    assert.throws(() => parseIni(text), (err: unknown) => {
      assert.ok(err instanceof IniSyntaxError);
      assert.equal(err.line, line);
      assert.equal(
        err.message,
        `line ${line}: expected "[section]" or "key = value", got ${shown}`,
      );
      return true;
    });
  }
});
