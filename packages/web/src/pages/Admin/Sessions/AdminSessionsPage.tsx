export function AdminSessionsPage() {
  return null;
}
