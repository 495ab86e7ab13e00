// Click an item to append it to the session; the list (and why each item is there) updates.
const list = document.getElementById('list');

async function show(clicked) {
  const items = await window.seqrec.recommend({ clicked, k: 10 });
  list.replaceChildren(
    ...items.map((r) => {
      const li = document.createElement('li');
      const why = r.because?.[0] ? ` (because of item ${r.because[0].item})` : '';
      li.textContent = `item ${r.id ?? r.item}, score ${r.score.toFixed(3)}${why}`;
      li.onclick = () => show(r.item);
      return li;
    }),
  );
}

show();
