// Starts kinesalite bound to 127.0.0.1 only (its CLI listens on every interface).
// Usage: node scripts/kinesalite.js <port>
const kinesalite = require('kinesalite');
const port = Number(process.argv[2] || 4567);
const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 });
server.listen(port, '127.0.0.1', () => console.log(`kinesalite listening at http://127.0.0.1:${port}`));
