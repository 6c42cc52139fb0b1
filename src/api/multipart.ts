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
  try {
    return await c.req.formData();
  } catch {
    throw new AppError(
      "bad_request",
      "The multipart body could not be parsed: it may be cut off.",
      {
        code: "malformed_multipart",
      },
    );
  }
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
