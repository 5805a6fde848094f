// Skipping a panel's render when its props did not change. preact/compat has `memo`, but
// importing compat also patches Preact's options for React code, which these pages are not.
import { Component, type ComponentChildren, type FunctionComponent, h } from "preact";

/** Props equal when each is the same value (Object.is), as React's memo. */
export function shallowEqual(a: object, b: object): boolean {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  for (const key in left) if (key !== "children" && !Object.is(left[key], right[key])) return false;
  for (const key in right) if (!(key in left)) return false;
  return true;
}

/** `render` wrapped so it renders again only when `equal` says the props changed. */
export function memo<P extends object>(
  render: FunctionComponent<P>,
  equal: (before: P, after: P) => boolean = shallowEqual,
): FunctionComponent<P> {
  class Memoised extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      return !equal(this.props as P, next);
    }
    override render(props: P): ComponentChildren {
      return h(render, props);
    }
  }
  (Memoised as unknown as { displayName: string }).displayName = `Memo(${render.name})`;
  return Memoised as unknown as FunctionComponent<P>;
}
