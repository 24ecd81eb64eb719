export function SystemInfoPage() {
  return null;
}
