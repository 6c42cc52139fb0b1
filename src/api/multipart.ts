/**
 * Reading multipart uploads into files the registry can store.
 *
 * @module
 */
import type { Context } from "hono";
import { AppError, invalid } from "../errors.ts";
import type { IncomingFile } from "../registry/uploads.ts";

/** Parses a `multipart/form-data` body, with clear errors for anything else. */
export async function readForm(c: Context): Promise<FormData> {
  const type = c.req.header("content-type") ?? "";
  if (!type.toLowerCase().startsWith("multipart/form-data")) {
    throw new AppError(
      "unsupported_media_type",
      "Send the image as multipart/form-data with a field named `file`.",
      { code: "multipart_required", details: { content_type: type || null } },
    );
  }
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type);
  if (!boundary) throw malformed("the Content-Type header names no boundary");
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  // The parser quietly returns an empty form for a body cut off before its closing
  // delimiter; a client must hear that its upload was truncated, not that it sent no file.
  if (!endsWithDelimiter(bytes, `--${boundary[1] ?? boundary[2]}--`)) {
    throw malformed("it ends before the closing boundary, so the upload was cut off");
  }
  try {
    return await new Response(bytes, { headers: { "content-type": type } }).formData();
  } catch {
    throw malformed("a part header is invalid (a file name must not contain control characters)");
  }
}

function endsWithDelimiter(bytes: Uint8Array, delimiter: string): boolean {
  // The closing delimiter may only be followed by a short epilogue (usually CRLF).
  const tail = new TextDecoder("latin1").decode(bytes.subarray(Math.max(0, bytes.length - 1024)));
  return tail.includes(delimiter);
}

function malformed(reason: string): AppError {
  return new AppError("bad_request", `The multipart body could not be parsed: ${reason}.`, {
    code: "malformed_multipart",
  });
}

/** The `file` parts of a form, read into memory; at least one is required. */
export async function filesOf(form: FormData): Promise<IncomingFile[]> {
  const parts = form.getAll("file");
  if (parts.length === 0 || parts.some((part) => !(part instanceof File))) {
    throw invalid(
      "file_required",
      "Attach the image as a file in a multipart field named `file`.",
    );
  }
  return await Promise.all(
    (parts as File[]).map(async (file) => ({
      filename: file.name,
      bytes: new Uint8Array(await file.arrayBuffer()),
    })),
  );
}

/** The text values of a repeated form field (`name`, `asset_type`). */
export function textsOf(form: FormData, field: string): string[] {
  return form.getAll(field).filter((v): v is string => typeof v === "string");
}
