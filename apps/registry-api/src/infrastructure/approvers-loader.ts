import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { EMPTY_APPROVER_DIRECTORY, approverDirectory, parseApproverDirectory, type ApproverDirectory } from '#domain';
import { canonicalize } from '#event-store';
import type { AppConfig } from '#config';

export function directoryFromDocument(raw: unknown): ApproverDirectory {
  const doc = parseApproverDirectory(raw);
  return approverDirectory(doc, `sha256:${createHash('sha256').update(canonicalize(doc)).digest('hex')}`);
}

/** Reads APPROVERS_FILE (YAML or JSON); without one the directory is empty and no link can be issued. */
export function loadApproverDirectory(config: AppConfig): ApproverDirectory {
  if (!config.APPROVERS_FILE) return directoryFromDocument(EMPTY_APPROVER_DIRECTORY);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(config.APPROVERS_FILE, 'utf8'));
  } catch (err) {
    throw new Error(`APPROVERS_FILE=${config.APPROVERS_FILE}: cannot read or parse it: ${(err as Error).message}`);
  }
  try {
    return directoryFromDocument(raw);
  } catch (err) {
    throw new Error(`APPROVERS_FILE=${config.APPROVERS_FILE}: ${(err as Error).message}`);
  }
}
