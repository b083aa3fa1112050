// Follow-the-end scrolling, shared by the panels that grow while a run streams (tokens, timeline):
// stick to the bottom while the user is there; scrolling up stops following, scrolling back down
// to the end resumes it.

/** Within this many pixels of the bottom counts as "at the end". */
const SLACK_PX = 8;

export interface Follower {
  /** True while the view sticks to the end. */
  readonly following: boolean;
  /** Scroll to the end if following: call after the content grew or the panel was shown. */
  stick(): void;
  dispose(): void;
}

/** True when a scroller shows its end. */
export function atEnd(scroller: HTMLElement): boolean {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < SLACK_PX;
}

/**
 * Follow the end of `scroller`. `moved` runs after every scroll and every resize (e.g. to render
 * the rows now in view). A resize also sticks: the output is laid out only once JupyterLab
 * attaches it, and then it should show the end.
 */
export function followEnd(scroller: HTMLElement, moved: () => void = () => {}): Follower {
  let following = true;
  const stick = () => {
    if (following) scroller.scrollTop = scroller.scrollHeight;
  };
  const onScroll = () => {
    following = atEnd(scroller);
    moved();
  };
  scroller.addEventListener("scroll", onScroll);
  const unobserve = onResize(scroller, () => {
    stick();
    moved();
  });
  return {
    get following() {
      return following;
    },
    stick,
    dispose() {
      scroller.removeEventListener("scroll", onScroll);
      unobserve();
    },
  };
}

/** Call `fn` when the element gets or changes size (attached to the page, resized). */
function onResize(el: HTMLElement, fn: () => void): () => void {
  if (typeof ResizeObserver === "undefined") return () => {};
  const observer = new ResizeObserver(() => fn());
  observer.observe(el);
  return () => observer.disconnect();
}
