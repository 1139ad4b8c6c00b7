// Loads the operations of operations/*.graphql, the same documents graphql-codegen types, as
// one DocumentNode per operation holding the fragments it spreads.
import { readFileSync } from "node:fs";
import { Kind, parse, visit } from "graphql";

const dir = new URL("../operations/", import.meta.url);

/** @returns {Record<string, import("graphql").DocumentNode>} the operations of file by name */
export function operations(file) {
  const doc = parse(readFileSync(new URL(file, dir), "utf8"));
  const fragments = new Map(
    doc.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const spreads = (node, seen = new Set()) => {
    visit(node, {
      FragmentSpread(s) {
        if (!seen.has(s.name.value)) {
          seen.add(s.name.value);
          spreads(fragments.get(s.name.value), seen);
        }
      },
    });
    return seen;
  };
  const out = {};
  for (const op of doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)) {
    const used = [...spreads(op)].map((name) => fragments.get(name));
    out[op.name.value] = { kind: Kind.DOCUMENT, definitions: [op, ...used] };
  }
  return out;
}
