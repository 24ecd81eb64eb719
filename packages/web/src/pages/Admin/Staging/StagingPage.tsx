export function StagingPage() {
  return null;
}
