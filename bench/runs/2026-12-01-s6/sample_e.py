import csv, random, re, urllib.request, os, ssl
random.seed(20261202)
S='/work/shared/corpus'
if not os.path.exists(S): S=os.path.abspath('/work/main/../shared/corpus')
top=[r[1] if len(r)>1 else r[0] for r in csv.reader(open(f'{S}/top-pypi-packages.csv'))]
top=[t for t in top if t and t!='project']
norm=lambda n: re.sub(r'[-_.]+','-',n).lower()
seen=set()
for f in [f'{S}/benign-top1000.txt', f'{S}/benign-calibration-popular.txt', f'{S}/benign-calibration-longtail.txt'] + [os.path.expanduser(f'~/.cache/guard-eval/{x}.txt') for x in ('pop-a','pop-b','lt-a','lt-b','pop-c','lt-c','pop-d','lt-d')]:
    if os.path.exists(f): seen |= {norm(l.strip()) for l in open(f) if l.strip()}
ranked=[norm(t) for t in top]
pool=[t for t in ranked[1000:15000] if t not in seen]
pop=random.sample(pool,700)
html=urllib.request.urlopen('https://pypi.org/simple/', timeout=120).read().decode()
names={norm(m) for m in re.findall(r'<a href="[^"]*">([^<]+)</a>', html)}
topset=set(ranked)
lpool=sorted(names-topset-seen)
lt=random.sample(lpool,700)
open('pop-e.txt','w').write('\n'.join(pop)+'\n'); open('lt-e.txt','w').write('\n'.join(lt)+'\n')
print(len(pool),len(lpool))
