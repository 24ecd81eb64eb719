import { Button, Group, NumberInput, Text } from '@mantine/core';
import { type AgentView, agentUpdateSchema } from '@porthole/contracts';
import { agentsApi } from '../../../api/admin';
import { ErrorAlert } from '../../../components/ErrorAlert';
import { numberOrUndefined, useSchemaForm } from '../../../modules/forms/use-schema-form';

type Values = { coresOverride: number | string; memoryMbOverride: number | string };

/** What the placement may allocate on this server, instead of what the agent reports. */
export function AgentOverrides({ agent }: { agent: AgentView }) {
  const update = agentsApi.useUpdate();
  const { form, submit, error, submitting } = useSchemaForm({
    schema: agentUpdateSchema,
    initialValues: {
      coresOverride: agent.coresOverride ?? '',
      memoryMbOverride: agent.memoryMbOverride ?? '',
    } satisfies Values,
    toPayload: (v: Values) => ({
      coresOverride: numberOrUndefined(v.coresOverride) ?? null,
      memoryMbOverride: numberOrUndefined(v.memoryMbOverride) ?? null,
    }),
    onSubmit: async (body) => {
      await update.mutateAsync({ id: agent.id, body });
      form.resetDirty();
    },
  });
  return (
    <form onSubmit={submit} noValidate>
      <Text size="xs" fw={700} tt="uppercase" c="dimmed" mb={6}>
        Overrides
      </Text>
      <Group align="flex-start" gap="sm">
        <NumberInput
          size="xs"
          label="Cores"
          placeholder="as reported"
          min={0.1}
          step={1}
          decimalScale={2}
          w={130}
          {...form.getInputProps('coresOverride')}
        />
        <NumberInput
          size="xs"
          label="Memory"
          suffix=" MiB"
          placeholder="as reported"
          min={64}
          step={1024}
          allowDecimal={false}
          w={160}
          {...form.getInputProps('memoryMbOverride')}
        />
        <Button
          size="xs"
          type="submit"
          variant="light"
          mt={22}
          loading={submitting}
          disabled={!form.isDirty()}
        >
          Save
        </Button>
      </Group>
      {error !== null && (
        <div style={{ marginTop: 8 }}>
          <ErrorAlert error={error} />
        </div>
      )}
    </form>
  );
}
