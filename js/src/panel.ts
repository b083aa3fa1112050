// The one shape every part of the view has, so index.ts mounts, switches and disposes them alike.

export interface Panel {
  el: HTMLElement;
  /** The panel became visible (its tab was selected, or the view was mounted). */
  shown(): void;
  /** Another tab was selected: the panel may stop work it only does while seen. */
  hidden(): void;
  /** The view is gone: drop listeners, timers and pending frames. */
  dispose(): void;
}
