import { afterEach, describe, expect, it } from "vitest";
import { atEnd, followEnd } from "../src/follow";
import { scroller, setContentHeight, userScroll } from "./fixtures";

afterEach(() => document.body.replaceChildren());

describe("followEnd", () => {
  it("sticks to the end while following", () => {
    const el = scroller();
    const follower = followEnd(el);
    expect(follower.following).toBe(true);
    follower.stick();
    expect(el.scrollTop).toBe(1000);
    setContentHeight(el, 1500);
    follower.stick();
    expect(el.scrollTop).toBe(1500);
  });

  it("stops following when the user scrolls up, resumes at the end", () => {
    const el = scroller();
    const follower = followEnd(el);
    follower.stick();
    userScroll(el, 300);
    expect(follower.following).toBe(false);
    setContentHeight(el, 2000);
    follower.stick();
    expect(el.scrollTop).toBe(300); // the user's place is kept
    userScroll(el, 2000 - 100 - 3); // within a few pixels of the end counts as the end
    expect(follower.following).toBe(true);
    follower.stick();
    expect(el.scrollTop).toBe(2000);
  });

  it("tells the panel after every scroll, and stops listening once disposed", () => {
    const el = scroller();
    let moves = 0;
    const follower = followEnd(el, () => moves++);
    userScroll(el, 100);
    userScroll(el, 200);
    expect(moves).toBe(2);
    follower.dispose();
    userScroll(el, 900);
    expect(moves).toBe(2);
    expect(follower.following).toBe(false);
  });

  it("atEnd allows a few pixels of slack, not more", () => {
    const el = scroller(1000, 100);
    el.scrollTop = 895;
    expect(atEnd(el)).toBe(true);
    el.scrollTop = 880;
    expect(atEnd(el)).toBe(false);
  });
});
