import { VERSION } from '../core/version.js';
import { EXIT_CODES, type ExitCode } from './context.js';
import type { ConfigInspection, VariableReport } from './doctor-config.js';
import type { CheckReport, CheckStatus, PushReport } from './doctor-report.js';
import { describeEnvFile, type LoadedEnv } from './env-file.js';
import { showUrl } from './url-check.js';

type Say = (line?: string) => void;

const VARIABLE_LABEL: Record<VariableReport['status'], string> = {
  ok: 'ok',
  warning: 'warn',
  missing: 'MISSING',
  invalid: 'INVALID',
  unset: '--',
};
const CHECK_LABEL: Record<CheckStatus, string> = {
  ok: 'ok',
  warning: 'warn',
  failed: 'FAIL',
  skipped: 'skip',
};

function renderVariable(say: Say, v: VariableReport): void {
  const label = VARIABLE_LABEL[v.status].padEnd(8);
  const shown =
    v.status === 'unset'
      ? `not set (optional: ${v.purpose})`
      : v.status === 'missing'
        ? `required: ${v.purpose}`
        : (v.value ?? '');
  say(`  ${label} ${v.name.padEnd(25)} ${shown}`);
  for (const p of v.problems) {
    say(`           ${v.name} ${p.message}`);
    say(`           fix: ${p.fix}`);
  }
  for (const w of v.warnings) say(`           warning: ${w}`);
}

/** @internal Print the header: the version, the environment file, where requests go, every variable. */
export function renderHeader(say: Say, loaded: LoadedEnv, config: ConfigInspection): void {
  const source =
    config.baseUrlSource === 'MPESA_BASE_URL' ? 'from MPESA_BASE_URL' : `the ${config.environment} URL`;
  say(`daraja doctor (daraja-sdk ${VERSION})`);
  say(describeEnvFile(loaded));
  say(
    `Daraja: ${showUrl(config.baseUrl)} (${source}; environment ${config.environment}${config.local ? '; a local server, e.g. the simulator' : ''})`,
  );
  say();
  say('Configuration');
  for (const v of config.variables) renderVariable(say, v);
  for (const p of config.otherProblems) say(`  INVALID  ${p.message}\n           fix: ${p.fix}`);
  say();
  say('Checks');
}

/** @internal Print one check: its label, name and message, then its details, warnings and fixes. */
export function renderCheck(say: Say, c: CheckReport): void {
  say(`  ${CHECK_LABEL[c.status].padEnd(8)} ${c.name}: ${c.message}`);
  for (const d of c.details ?? []) say(`           ${d}`);
  for (const w of c.warnings ?? []) say(`           warning: ${w}`);
  for (const f of c.fix?.split('\n') ?? []) say(`           fix: ${f}`);
}

/** @internal Print the last line: all passed, or what is not ready and the exit code. */
export function renderSummary(
  say: Say,
  exitCode: ExitCode,
  config: ConfigInspection,
  checks: readonly CheckReport[],
  push: PushReport | undefined,
): void {
  say();
  if (exitCode === EXIT_CODES.ok) {
    const warnings = checks.filter((c) => c.status === 'warning').length;
    say(
      `All checks passed${warnings > 0 ? ` (${warnings} with warnings)` : ''}${push ? '; the test payment completed' : ''}.`,
    );
    return;
  }
  const missing = config.variables.filter((v) => v.status === 'missing').length;
  const invalid = config.variables.filter((v) => v.status === 'invalid').length + config.otherProblems.length;
  const failedNames = checks
    .filter((c) => c.status === 'failed' && c.name !== 'configuration')
    .map((c) => c.name);
  const parts = [
    missing > 0 ? `${missing} required variable${missing === 1 ? '' : 's'} missing` : '',
    invalid > 0 ? `${invalid} invalid` : '',
    failedNames.length > 0 ? `failed: ${failedNames.join(', ')}` : '',
    push && push.status !== 'completed' && !failedNames.includes('stk-push')
      ? 'the test payment did not complete'
      : '',
  ].filter(Boolean);
  say(`Not ready: ${parts.join('; ')} (exit code ${exitCode}).`);
}
