/**
 * Helpers for tests that generate storyboards against the fake Gemini: read the registry
 * block, make the fake answer in turn, start a storyboard job and wait for it to end.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { FakeGemini } from "./fakes/fake_gemini.ts";
import type { TestServer } from "./_harness.ts";

// deno-lint-ignore no-explicit-any
type Any = Record<string, any>;

/** The registry as `GET /manifests/{id}/registry` shows it: primary tags and alias → primary. */
export async function readRegistry(server: TestServer, manifestId: string) {
  const response = await server.fetch(`/api/manifests/${manifestId}/registry`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
  const text = await response.text();
  const primary: string[] = [];
  const aliasOf = new Map<string, string>();
  for (const line of text.split("\n")) {
    const head = /^\[([A-Z]+_\d+)\] /.exec(line);
    if (head) primary.push(head[1]);
    const also = /^ {2}also: ([A-Z_0-9, ]+) \(/.exec(line);
    if (also) { for (const alias of also[1].split(", ")) aliasOf.set(alias, primary.at(-1)!); }
  }
  return { text, primary, aliasOf };
}

/** Starts a storyboard job and waits for it to end; returns the final progress. */
export async function generate(server: TestServer, projectId: string): Promise<Any> {
  const started = await server.json("POST", `/api/projects/${projectId}/storyboard`);
  assert.equal(started.status, 202, JSON.stringify(started.body));
  return await waitForStoryboard(server, projectId);
}

/** Polls the project's progress until its storyboard job ends; returns the final progress. */
export async function waitForStoryboard(server: TestServer, projectId: string): Promise<Any> {
  const deadline = Date.now() + 60_000;
  while (true) {
    const { body } = await server.json("GET", `/api/projects/${projectId}/progress`);
    if (["complete", "error", "cancelled"].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`Storyboard never ended: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The fake answers every request with `answers[n]` (the last one repeats). */
export function answerInTurn(fake: FakeGemini, answers: readonly unknown[]): void {
  fake.reset();
  let calls = 0;
  fake.setResponder(() => answers[Math.min(calls++, answers.length - 1)]);
}
