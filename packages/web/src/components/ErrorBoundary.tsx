import { Button, Center, Code, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  children: ReactNode;
  /** When this changes (e.g. the route), a caught error is forgotten and the children render again. */
  resetKey?: string;
}

interface State {
  error: Error | null;
  resetKey: string | undefined;
}

/** Never a blank page: a render error shows what happened and a way out. */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: Error): Partial<State> {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    if (props.resetKey !== state.resetKey) return { error: null, resetKey: props.resetKey };
    return null;
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('render error', error, info.componentStack);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <Center p="xl" mih={320}>
        <Paper withBorder p="xl" maw={560} w="100%" shadow="sm">
          <Stack gap="md">
            <Group gap="sm">
              <IconAlertTriangle color="var(--mantine-color-red-6)" />
              <Title order={3}>This page ran into a problem</Title>
            </Group>
            <Text c="dimmed">
              Something in the interface failed. Your sessions keep running; reloading usually helps.
            </Text>
            <Code block>{error.message}</Code>
            <Group>
              <Button onClick={() => window.location.reload()}>Reload</Button>
              <Button variant="default" onClick={() => window.location.assign('/')}>
                Go to workspaces
              </Button>
            </Group>
          </Stack>
        </Paper>
      </Center>
    );
  }
}
