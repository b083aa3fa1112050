import { describe, expect, it } from "vitest";
import { filterSelect } from "../src/filter";

const EVIL = '<img src=x onerror="window.__pwned=1">';

describe("filterSelect", () => {
  it("starts with the 'all' option and matches everything", () => {
    const filter = filterSelect("mode", "all modes");
    expect(filter.el.dataset.testid).toBe("filter-mode");
    expect(filter.el.title).toBe("filter by mode");
    expect([...filter.el.options].map((o) => [o.value, o.textContent])).toEqual([["", "all modes"]]);
    expect(filter.value).toBe("");
    expect(filter.matches("updates")).toBe(true);
  });

  it("adds each value once, with its label, and matches only the selected value", () => {
    const filter = filterSelect("namespace", "all namespaces");
    filter.add("review:1", "review");
    filter.add("review:1", "review again");
    filter.add("custom");
    expect([...filter.el.options].map((o) => [o.value, o.textContent])).toEqual([
      ["", "all namespaces"],
      ["review:1", "review"],
      ["custom", "custom"],
    ]);
    filter.el.value = "review:1";
    expect(filter.value).toBe("review:1");
    expect(filter.matches("review:1")).toBe(true);
    expect(filter.matches("custom")).toBe(false);
  });

  it("keeps untrusted values as text", () => {
    const filter = filterSelect("tag", "all tags");
    filter.add(EVIL);
    expect(filter.el.querySelector("img")).toBeNull();
    expect(filter.el.options[1].textContent).toBe(EVIL);
    expect(filter.el.options[1].value).toBe(EVIL);
  });
});
