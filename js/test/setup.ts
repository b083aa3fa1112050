// Each test starts with no remembered choices (fixtures share one run identity).
import { beforeEach } from "vitest";
import { choices } from "../src/memory";

beforeEach(() => choices.clear());
