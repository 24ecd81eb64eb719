// One module per subcommand, loaded on demand so `porthole agent` never pays for the server's imports.
type Command = { run(argv: string[]): Promise<number>; summary: string };

const commands: Record<string, () => Promise<Command>> = {
  up: () => import('./commands/up.js'),
  server: () => import('./commands/server.js'),
  agent: () => import('./commands/agent.js'),
  migrate: () => import('./commands/migrate.js'),
  user: () => import('./commands/user.js'),
  secrets: () => import('./commands/secrets.js'),
  backup: () => import('./commands/backup.js'),
  restore: () => import('./commands/restore.js'),
  images: () => import('./commands/images.js'),
  'nginx-config': () => import('./commands/nginx-config.js'),
};

const usage = `Usage: porthole <command> [options]

Commands:
  up            run server, proxy and a local agent on this machine (all-in-one)
  server        run the API server and manager (with the embedded proxy)
  agent         run an agent on a Docker host
  migrate       apply database migrations and exit
  user          create users and reset passwords
  secrets       rotate the grant signing key or the agent registration token
  backup        write a backup of the database and the data dir secrets
  restore       restore a backup into an empty data dir or database
  images        build the workspace images
  nginx-config  print the production nginx configuration

Run 'porthole <command> --help' for a command's options.
`;

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    const { version } = await import('./version.js');
    process.stdout.write(`${version}\n`);
    return 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`porthole: unknown command '${name}'\n\n${usage}`);
    return 2;
  }
  const command = await load();
  return command.run(rest);
}
