import type { ComponentChildren, Ref } from "preact";

/** A box that scrolls (sideways, or down when `vertical`), focusable so that a keyboard can scroll it too. */
export function ScrollRegion(props: {
  label: string;
  vertical?: boolean;
  children: ComponentChildren;
  boxRef?: Ref<HTMLElement>;
  onScroll?: (box: HTMLElement) => void;
}) {
  return (
    <section
      class={props.vertical ? "scroll-y" : "scroll-x"}
      aria-label={props.label}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling box must take focus to be scrolled by keyboard (axe: scrollable-region-focusable)
      tabIndex={0}
      ref={props.boxRef}
      onScroll={(e) => props.onScroll?.(e.currentTarget)}
    >
      {props.children}
    </section>
  );
}
