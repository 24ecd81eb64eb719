/** `/session/<uuid>/<rest>` split strictly: anything else (encoded slashes, dot segments) is refused. */
export function parseSessionPath(url: string | undefined): { sessionId: string; rest: string } | null {
  if (!url) return null;
  const m =
    /^\/session\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\/[^?#]*)?(\?[^#]*)?$/i.exec(
      url,
    );
  if (!m?.[1]) return null;
  const path = m[2] ?? '/';
  // Encoded separators or dot segments could walk out of this session's prefix upstream.
  if (/%2f|%5c|%2e/i.test(path) || path.split('/').some((seg) => seg === '..' || seg === '.')) return null;
  if (path.includes('\\')) return null;
  return { sessionId: m[1].toLowerCase(), rest: `${path}${m[3] ?? ''}` };
}
