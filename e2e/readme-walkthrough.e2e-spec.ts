import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Browser } from '@jit/testing';
import { BOOTSTRAP_KEY, System, signIn } from './harness';

const PASSWORD = 'correct horse battery staple';

/** The bash blocks of the README's walk-through, in order, exactly as a reader copies them. */
function walkthroughBlocks(): string[] {
  const readme = readFileSync(resolve(__dirname, '../README.md'), 'utf8');
  const start = readme.indexOf('## Five-minute walk-through');
  assert.ok(start >= 0, 'the README has its walk-through');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

/**
 * A terminal in which a reader pastes the blocks one after the other: one bash process, so the
 * variables of the first block are there for the next. It runs with `set -e` on top of the
 * README's own `set -uo pipefail`, so any call that fails (rather than being handled by the text)
 * ends it, and the test with it. (The README leaves -e out: pasted into an interactive shell, it
 * would close the reader's terminal at the first error.)
 */
class Terminal {
  private readonly bash: ChildProcessWithoutNullStreams;
  private output = '';
  private exit: number | null = null;
  private readonly listeners = new Set<() => void>();
  private blocks = 0;

  constructor(env: Record<string, string>) {
    this.bash = spawn('bash', [], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });
    const collect = (d: Buffer) => {
      this.output += d.toString();
      for (const listener of this.listeners) listener();
    };
    this.bash.stdout.on('data', collect);
    this.bash.stderr.on('data', collect);
    this.bash.once('exit', (code) => {
      this.exit = code ?? -1;
      for (const listener of this.listeners) listener();
    });
    this.bash.stdin.write('set -e\n');
  }

  /** Pastes a block; resolves with what it printed, rejects with it when bash stops on an error. */
  run(block: string): Promise<string> {
    const marker = `__walkthrough_block_${(this.blocks += 1)}_done__`;
    const from = this.output.length;
    this.bash.stdin.write(`${block}\necho ${marker}\n`);
    return new Promise((done, fail) => {
      const timer = setTimeout(() => check(true), 60_000);
      const check = (timedOut = false) => {
        const end = this.output.indexOf(marker, from);
        const printed = this.output.slice(from, end < 0 ? undefined : end);
        if (end < 0 && this.exit === null && !timedOut) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        if (end >= 0) done(printed);
        else fail(Object.assign(new Error(`bash ${timedOut ? 'did not finish' : `stopped (${this.exit})`}:\n${printed}`), { printed }));
      };
      this.listeners.add(check);
      check();
    });
  }

  close(): void {
    if (this.exit === null) this.bash.stdin.end();
  }
}

describe("the README's walk-through, run as written against the whole system", () => {
  const system = new System('readme');
  const terminals: Terminal[] = [];
  const blocks = walkthroughBlocks();

  const terminal = (key = BOOTSTRAP_KEY) => {
    const host = (url: string) => new URL(url).host;
    const t = new Terminal({
      KEY: key,
      DIRECTORY: host(system.directoryUrl),
      CATALOG: host(system.catalogUrl),
      DEMO_SP: host(system.demoSpUrl),
    });
    terminals.push(t);
    return t;
  };
  const opened = (printed: string) => {
    const url = /^Open (http:\/\/\S+)/m.exec(printed)?.[1];
    assert.ok(url, `no address printed:\n${printed}`);
    return { url, appId: new URL(url).searchParams.get('app') ?? '' };
  };

  beforeAll(() => system.start());

  afterAll(async () => {
    for (const t of terminals) t.close();
    await system.stop();
  });

  it('has three bash blocks: set-up, watching the account, revoking', () => {
    assert.equal(blocks.length, 3);
  });

  it('signs ada in through the printed address, shows her JIT account, and refuses her once the revoke step ran', async () => {
    const shell = terminal();
    const setUp = await shell.run(blocks[0] ?? '');
    assert.match(setUp, /^demo-sp: SSO, JIT Provisioning$/m, 'the JIT connectors are listed');
    assert.match(setUp, /^\{"items":\[\],"total":0\}$/m, 'no account yet');
    const { url, appId } = opened(setUp);
    assert.equal(url, `${system.demoSpUrl}/login?app=${appId}`);

    const browser = new Browser();
    const first = await signIn(system, browser, appId, 'ada', PASSWORD);
    assert.equal(first.outcome, 'signed-in', first.outcome === 'refused' ? first.page : '');

    const watched = JSON.parse((await shell.run(blocks[1] ?? '')).trim()) as {
      items: { email: string; firstname: string }[];
      total: number;
    };
    assert.equal(watched.total, 1);
    assert.equal(watched.items[0]?.email, 'ada@example.com');
    assert.equal(watched.items[0]?.firstname, 'Ada');

    const revoked = await shell.run(blocks[2] ?? '');
    assert.match(revoked, new RegExp(`^Open ${url.replace(/[?.]/g, '\\$&')} again`, 'm'));
    const second = await signIn(system, browser, appId, 'ada', PASSWORD);
    assert.equal(second.outcome, 'refused');
    assert.equal(second.outcome === 'refused' && second.status, 403);
    assert.match(second.outcome === 'refused' ? second.page : '', /not authorised to use Demo SP/);
  });

  it('run a second time, finds what the first run created: same ids, nothing twice, access back', async () => {
    const before = opened(await terminal().run(blocks[0] ?? ''));
    const again = opened(await terminal().run(blocks[0] ?? ''));
    assert.equal(again.appId, before.appId);
    const list = <T>(url: string) => system.admin<{ items: T[] }>('GET', url, undefined, 200);
    const apps = await list<{ name: string }>(`${system.catalogUrl}/v1/applications?limit=500`);
    assert.deepEqual(
      apps.items.map((a) => a.name),
      ['Demo SP'],
    );
    const users = await list<{ username: string }>(`${system.directoryUrl}/v1/users?email=ada@example.com`);
    assert.equal(users.items.length, 1);
    const groups = await list<{ name: string }>(`${system.directoryUrl}/v1/user-groups?limit=500`);
    assert.deepEqual(
      groups.items.map((g) => g.name),
      ['Engineering'],
    );
    // The set-up put ada back in the group: she may sign in again.
    assert.equal((await signIn(system, new Browser(), again.appId, 'ada', PASSWORD)).outcome, 'signed-in');
  });

  it("stops at a call the API refuses and shows the API's answer, printing no address", async () => {
    await assert.rejects(terminal('not-the-admin-key-0123456789').run(blocks[0] ?? ''), (error: Error & { printed?: string }) => {
      assert.match(error.printed ?? '', /The API key in x-api-key is not valid/);
      assert.doesNotMatch(error.printed ?? '', /^Open /m);
      return true;
    });
  });
});
