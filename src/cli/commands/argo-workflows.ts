import { defineCommand } from '../command.js';
import { usageError } from '../args.js';

const createUsage = 'cairn argo-workflows create <flow.ts> [--only-json | --output DIR] [--image IMG] [--namespace NS] [--branch NAME] [--production]';

export default defineCommand({
  name: 'argo-workflows',
  summary: 'Deploy the flow to Argo Workflows: `create` writes its WorkflowTemplate, CronWorkflow and Sensor.',
  usage: 'cairn argo-workflows create <flow.ts> [options]',
  subcommands: [
    defineCommand({
      name: 'create',
      summary: 'Write the Argo Workflows objects of the flow (YAML on stdout, for `kubectl apply -f -`).',
      usage: createUsage,
      options: {
        'only-json': { kind: 'flag', help: 'print the objects as one JSON List instead of YAML' },
        output: { kind: 'string', metavar: 'DIR', help: 'write each object to DIR/<name>.<kind>.yaml instead of printing them' },
        image: { kind: 'string', metavar: 'IMG', help: 'the image the containers run (default: CAIRN_ARGO_IMAGE, else cairn-flows:latest)' },
        namespace: { kind: 'string', metavar: 'NS', help: 'the Kubernetes namespace of the objects (default: none, kubectl chooses)' },
        branch: { kind: 'string', metavar: 'NAME', help: 'for a @project flow: deploy the branch test.NAME (default: user.<you>)' },
        production: { kind: 'flag', help: 'for a @project flow: deploy the production branch, prod' },
        'config-map': { kind: 'string', metavar: 'NAME', help: 'the ConfigMap with the store settings (default cairn-store)' },
        secret: { kind: 'string', metavar: 'NAME', help: "the Secret with the stores' credentials (default cairn-store)" },
      },
      async run(args, flow) {
        const o = args.options;
        if (o['only-json'] && o.output !== undefined) throw usageError('Give --only-json or --output DIR, not both.');
        const [{ argoCreate }, { objectsText, writeObjects }] = await Promise.all([import('../../deploy/argo-create.js'), import('../../deploy/argo-output.js')]);
        const d = await argoCreate({
          flowFile: flow.file,
          ...(flow.flowClass ? { flowClass: flow.flowClass } : {}),
          ...(o.image !== undefined ? { image: o.image } : {}),
          ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
          ...(o.branch !== undefined ? { branch: o.branch } : {}),
          ...(o.production ? { production: true } : {}),
          ...(o['config-map'] !== undefined ? { configMap: o['config-map'] } : {}),
          ...(o.secret !== undefined ? { secret: o.secret } : {}),
        });
        if (o.output !== undefined) {
          for (const file of writeObjects(d.objects, o.output)) process.stderr.write(`Wrote ${file}\n`);
          process.stderr.write(`Deploy with: kubectl apply -f ${o.output}\n`);
        } else {
          process.stdout.write(await objectsText(d.objects, o['only-json'] ? 'json' : 'yaml'));
        }
        return 0;
      },
    }),
  ],
});
