"""Draw held-out sample f: 700 projects of ranks 1,001-15,000 and 700 of PyPI's
whole simple index outside the top 15,000, excluding every earlier list.

The popular halves of the earlier samples c, d, e are rebuilt from their seeds
(the popular pool is fixed by the snapshot), and the rebuilt pop-d is checked
against the list kept in bench/runs/2026-11-30-s5. The long-tail lists c and e
were not kept; with ~600,000 names in the pool, they overlap f by ~2 projects.
"""
import csv, os, random, re, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
S = os.path.abspath(os.path.join(HERE, '../../../../shared/corpus'))
norm = lambda n: re.sub(r'[-_.]+', '-', n).lower()
top = [r[1] if len(r) > 1 else r[0] for r in csv.reader(open(f'{S}/top-pypi-packages.csv'))]
ranked = [norm(t) for t in top if t and t != 'project']
read = lambda f: {norm(l.strip()) for l in open(f) if l.strip()}
seen = set()
for f in ('benign-top1000.txt', 'benign-calibration-popular.txt', 'benign-calibration-longtail.txt'):
    seen |= read(f'{S}/{f}')
kept_d = read(os.path.join(HERE, '../2026-11-30-s5/pop-d.txt'))
for seed, name in ((20261130, 'c'), (20261201, 'd'), (20261202, 'e')):
    random.seed(seed)
    pop = set(random.sample([t for t in ranked[1000:15000] if t not in seen], 700))
    if name == 'd':
        assert pop == kept_d, 'rebuilt pop-d differs from the kept list'
    seen |= pop
seen |= read(os.path.join(HERE, '../2026-11-30-s5/lt-d.txt'))
random.seed(20261203)
pop = random.sample([t for t in ranked[1000:15000] if t not in seen], 700)
html = urllib.request.urlopen('https://pypi.org/simple/', timeout=120).read().decode()
names = {norm(m) for m in re.findall(r'<a href="[^"]*">([^<]+)</a>', html)}
lt = random.sample(sorted(names - set(ranked) - seen), 700)
open('pop-f.txt', 'w').write('\n'.join(pop) + '\n')
open('lt-f.txt', 'w').write('\n'.join(lt) + '\n')
print(len(pop), len(lt))
