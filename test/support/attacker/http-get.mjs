// One GET as another user; prints {"status":N,"body":TEXT} or {"error":CODE}.
// usage: node http-get.mjs URL
try {
  const response = await fetch(process.argv[2], { redirect: 'manual' });
  console.log(JSON.stringify({ status: response.status, body: (await response.text()).slice(0, 2000) }));
} catch (error) {
  console.log(JSON.stringify({ error: String(error?.cause?.code ?? error?.message ?? error) }));
}
