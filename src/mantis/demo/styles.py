"""Each demo site's stylesheet, inlined into its pages so the sites need no static files."""

MARKETPLACE_CSS = """
:root{--navy:#0b2f4a;--blue:#0a6ebd;--blue-dark:#08589a;--ink:#1c2733;--muted:#5b6b7b;--line:#dbe3ea;
--bg:#f3f6f9;--accent:#f47c20}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink);
background:var(--bg);font-size:15px;line-height:1.45}
a{color:var(--blue)}
.container{max-width:1200px;margin:0 auto;padding:0 24px}
.site-header{background:var(--navy);color:#fff}
.site-header__inner{display:flex;align-items:center;gap:32px;height:64px}
.brand{color:#fff;text-decoration:none;font-weight:800;font-size:22px;letter-spacing:-.02em;display:flex;
align-items:center;gap:8px}
.brand__mark{display:inline-grid;place-items:center;width:32px;height:32px;border-radius:8px;
background:var(--accent);font-size:18px}
.site-nav{display:flex;gap:20px}
.site-nav__link{color:#d6e4f0;text-decoration:none;font-weight:600}
.site-nav__link:hover{color:#fff}
.site-header__tagline{margin:0 0 0 auto;color:#9fb6ca;font-size:13px}
.page{padding-top:24px;padding-bottom:48px}
.layout{display:grid;grid-template-columns:260px 1fr;gap:24px;align-items:start}
.filters{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px;position:sticky;
top:16px}
.filters__heading{font-size:16px;margin:0 0 12px}
.field{margin:0 0 14px;border:0;padding:0}
.field label,.field legend{display:block;font-weight:600;font-size:13px;margin-bottom:4px}
.field select,.field input[type=number]{width:100%;padding:8px 10px;border:1px solid #b9c6d2;
border-radius:6px;background:#fff}
.field--row{display:grid;grid-template-columns:1fr 1fr;gap:10px}
.field--radios .radio{display:flex;align-items:center;gap:6px;font-weight:400;font-size:14px;margin:4px 0}
.filters__clear{display:block;text-align:center;margin-top:10px;font-size:13px}
.btn{display:inline-flex;align-items:center;justify-content:center;gap:6px;padding:9px 16px;border-radius:6px;
border:1px solid transparent;font-weight:700;font-size:14px;text-decoration:none;cursor:pointer}
.btn--primary{background:var(--blue);color:#fff}
.btn--primary:hover{background:var(--blue-dark)}
.btn--outline{border-color:var(--blue);color:var(--blue);background:#fff}
.btn--ghost-light{border-color:#8fb0c9;color:#fff;background:transparent}
.btn--block{width:100%}
.btn[hidden]{display:none}
.results__header{display:flex;align-items:baseline;justify-content:space-between;gap:16px;margin-bottom:14px}
.results__header h1{font-size:24px;margin:0;letter-spacing:-.01em}
.results__count{margin:0;color:var(--muted);font-size:14px}
.results-grid{display:grid;grid-template-columns:repeat(3,1fr);gap:18px}
.listing-card,.promo-card{background:#fff;border:1px solid var(--line);border-radius:10px;overflow:hidden;
display:flex;flex-direction:column}
.listing-card:hover{box-shadow:0 6px 18px rgba(11,47,74,.12)}
.media{color:rgba(255,255,255,.9);fill:currentColor;display:grid;place-items:center;
background:linear-gradient(160deg,hsl(var(--hue) 30% 64%),hsl(calc(var(--hue) + 40) 32% 36%))}
.media svg{width:45%}
.media--boat{background:linear-gradient(170deg,hsl(calc(190 + var(--hue) / 12) 70% 70%),
hsl(calc(205 + var(--hue) / 12) 65% 36%))}
.listing-card__media{height:150px}
.listing-card__body{padding:12px 14px 14px;display:flex;flex-direction:column;gap:4px;flex:1}
.listing-card__title{font-size:16px;margin:0;line-height:1.3}
.listing-card__title a{color:var(--ink);text-decoration:none}
.listing-card__title a:hover{color:var(--blue);text-decoration:underline}
.listing-card__price{font-size:20px;font-weight:800;margin:2px 0 0}
.listing-card__location{margin:0;color:var(--muted);font-size:14px}
.listing-card__specs{display:flex;gap:16px;margin:6px 0;font-size:13px}
.listing-card__specs div{display:flex;gap:4px}
.listing-card__specs dt{color:var(--muted)}
.listing-card__specs dd{margin:0;font-weight:600}
.seller-badge{margin:auto 0 0;align-self:flex-start;font-size:12px;font-weight:700;padding:3px 8px;
border-radius:999px}
.seller-badge--private{background:#e8f4ea;color:#21683a}
.seller-badge--dealer{background:#e6f0fa;color:#0b4f86}
.promo-card{padding:18px;gap:8px;background:#fffaf3;border-color:#f3d9b8}
.promo-card--finance{background:#f1f7ff;border-color:#bfd8f2}
.promo-card__tag{margin:0;font-size:11px;text-transform:uppercase;letter-spacing:.08em;color:var(--muted);
font-weight:700}
.promo-card__brand{margin:0;font-weight:800;color:#9a4a09}
.promo-card__headline{margin:0;font-size:18px;font-weight:800;line-height:1.3}
.promo-card__text{margin:0;color:var(--muted);font-size:14px}
.promo-card .btn,.promo-card__form{margin-top:auto}
.promo-card__form .btn{width:100%}
.promo-card__fineprint{margin:0;font-size:11px;color:var(--muted)}
.pagination{display:flex;flex-wrap:wrap;gap:6px;justify-content:center;margin:28px 0 0}
.pagination__link{min-width:40px;padding:8px 12px;border:1px solid var(--line);border-radius:6px;
background:#fff;text-align:center;text-decoration:none;font-weight:600}
.pagination__link.is-current{background:var(--navy);color:#fff;border-color:var(--navy)}
.pagination__link.is-disabled{color:#a5b2be}
.empty,.not-found{background:#fff;border:1px solid var(--line);border-radius:10px;padding:40px;
text-align:center}
.empty__title{font-size:18px;font-weight:700}
.breadcrumbs{font-size:13px;color:var(--muted);margin-bottom:14px}
.detail{display:grid;grid-template-columns:1fr 320px;gap:24px;align-items:start}
.detail__main{background:#fff;border:1px solid var(--line);border-radius:10px;padding:0 0 24px;
overflow:hidden}
.detail__main>:not(.detail__media){margin-left:24px;margin-right:24px}
.detail__media{height:300px}
.detail__title{font-size:28px;margin-top:20px;margin-bottom:4px}
.detail__price{font-size:26px;font-weight:800;margin-top:0;margin-bottom:0;color:var(--navy)}
.detail__location{color:var(--muted);margin-top:2px}
.detail__section{font-size:17px;margin-top:24px;margin-bottom:8px}
.spec-table{display:grid;grid-template-columns:1fr 1fr;gap:0 24px;margin-top:0}
.spec-table div{display:flex;justify-content:space-between;border-bottom:1px solid var(--line);padding:8px 0}
.spec-table dt{color:var(--muted)}
.spec-table dd{margin:0;font-weight:600}
.seller-box{background:#fff;border:1px solid var(--line);border-radius:10px;padding:20px;position:sticky;
top:16px}
.seller-box__heading{font-size:13px;text-transform:uppercase;letter-spacing:.08em;color:var(--muted);margin:0}
.seller-box__name{font-size:20px;font-weight:800;margin:6px 0 2px}
.seller-box__type{color:var(--muted);margin:0 0 12px}
.seller-box__phone{margin:0 0 12px;font-size:22px;font-weight:800}
.seller-box__phone:empty{display:none}
.seller-box__tel{text-decoration:none}
.seller-box__note{font-size:12px;color:var(--muted);margin:12px 0 0}
.site-footer{border-top:1px solid var(--line);color:var(--muted);font-size:13px;padding:12px 0 24px}
.consent{position:fixed;left:0;right:0;bottom:0;z-index:100;min-height:140px;background:#10263a;color:#fff;
box-shadow:0 -8px 24px rgba(0,0,0,.25);display:flex;align-items:center}
.consent__inner{max-width:1200px;margin:0 auto;padding:22px 24px;display:grid;grid-template-columns:1fr auto;
gap:12px 32px;align-items:center;width:100%}
.consent__title{margin:0 0 6px;font-weight:800;font-size:18px}
.consent__text{margin:0;color:#c9d8e5;font-size:14px;max-width:760px}
.consent__actions{display:flex;gap:10px}
.consent__prefs{grid-column:1/-1;border:1px solid #36526b;border-radius:8px;display:flex;gap:20px;
align-items:center;flex-wrap:wrap}
.consent__prefs[hidden]{display:none}
.consent__prefs label{display:flex;gap:6px;align-items:center}
"""

NEWS_CSS = """
body{font-family:Verdana,Geneva,sans-serif;font-size:10pt;color:#828282;margin:8px}
td{font-family:Verdana,Geneva,sans-serif;font-size:10pt;color:#828282}
a:link{color:#000;text-decoration:none}
a:visited{color:#828282;text-decoration:none}
#hnmain{background:#f6f6ef;width:85%;min-width:796px;margin:0 auto}
.header{background:#ff6600}
.header table{width:100%;padding:2px}
.logo{width:18px;padding-right:4px}
.logo span{display:block;width:18px;height:18px;border:1px solid #fff;color:#fff;font-weight:bold;
text-align:center;line-height:18px;font-size:10pt}
.pagetop{font-family:Verdana,Geneva,sans-serif;font-size:10pt;line-height:12pt;color:#222}
.pagetop a:link,.pagetop a:visited{color:#000}
.hnname{margin-right:5px}
.pagetop-right{text-align:right;padding-right:4px}
#pagespace{height:10px}
.title{font-family:Verdana,Geneva,sans-serif;font-size:10pt;color:#828282;overflow:hidden}
.titleline{color:#000}
.titleline>a{font-size:10pt;color:#000}
.titleline>a:visited{color:#828282}
.rank{color:#828282}
.votelinks{vertical-align:top;width:14px}
.votearrow{width:10px;height:10px;border:0;margin:3px 2px 6px;background:transparent;
border-left:5px solid transparent;border-right:5px solid transparent;border-bottom:10px solid #9a9a9a;
width:0;height:0;box-sizing:content-box}
.comhead,.sitebit{font-family:Verdana,Geneva,sans-serif;font-size:8pt;color:#828282}
.comhead a:link,.subtext a:link,.subtext a:visited,.comhead a:visited{color:#828282}
.comhead a:hover,.subtext a:hover{text-decoration:underline}
.subtext,.subline{font-family:Verdana,Geneva,sans-serif;font-size:7pt;color:#828282}
.spacer{height:5px}
.morespace{height:10px}
.morelink{color:#000}
.footer-rule{border-top:2px solid #ff6600;margin-top:10px}
.yclinks{font-size:8pt}
.yclinks a:link,.yclinks a:visited{color:#000}
.footer-search{margin:10px 0 20px;color:#828282}
.footer-search input{font-family:monospace;font-size:10pt}
.fatitem{margin-left:0}
.toptext{color:#000;font-size:9pt;padding-top:8px}
.comment-tree{margin-top:12px}
.ind img,.ind span{display:inline-block;height:1px}
.comment{font-size:9pt}
.commtext{color:#000}
.commtext p{margin:8px 0 0}
.c5a,.c5a a:link,.c5a a:visited{color:#5a5a5a}
.reply{font-size:8pt;margin-top:4px}
.reply a:link,.reply a:visited{color:#000;text-decoration:underline}
.notice{color:#000;padding:10px 0}
.user-table td{color:#000}
"""

CRM_CSS = """
:root{--brand:#5b4de0;--brand-dark:#4538c4;--ink:#1f2330;--muted:#667085;--line:#e4e7ec;--bg:#f6f7fb;
--danger:#c0362c}
body{font-family:Inter,system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink);
background:var(--bg);font-size:14px;line-height:1.5}
a{color:var(--brand)}
.app{display:grid;grid-template-columns:220px 1fr;min-height:100vh}
.sidebar{background:#1c1b3a;color:#c8c6f0;padding:20px 14px;display:flex;flex-direction:column;gap:4px}
.sidebar__brand{color:#fff;font-weight:800;font-size:18px;margin:0 8px 18px;display:flex;align-items:center;
gap:8px}
.sidebar__logo{width:26px;height:26px;border-radius:7px;background:var(--brand);display:inline-grid;
place-items:center;font-size:14px;color:#fff}
.sidebar__link{color:#c8c6f0;text-decoration:none;padding:8px 10px;border-radius:6px;font-weight:600}
.sidebar__link.is-active{background:#2f2d5c;color:#fff}
.sidebar__link.is-disabled{color:#6f6c9c;cursor:default}
.main{display:flex;flex-direction:column}
.topbar{height:60px;background:#fff;border-bottom:1px solid var(--line);display:flex;align-items:center;
justify-content:flex-end;gap:16px;padding:0 28px}
.topbar__user{color:var(--muted)}
.content{padding:28px;max-width:1100px;width:100%}
.page-header{display:flex;align-items:center;justify-content:space-between;gap:16px;margin-bottom:18px}
.page-header h1{font-size:24px;margin:0}
.page-header__sub{color:var(--muted);margin:2px 0 0}
.btn{display:inline-flex;align-items:center;gap:6px;padding:8px 14px;border-radius:8px;font-weight:600;
border:1px solid var(--line);background:#fff;color:var(--ink);text-decoration:none;cursor:pointer}
.btn--primary{background:var(--brand);border-color:var(--brand);color:#fff}
.btn--primary:hover{background:var(--brand-dark)}
.btn--block{width:100%;justify-content:center}
.card{background:#fff;border:1px solid var(--line);border-radius:12px;box-shadow:0 1px 2px rgba(16,24,40,.04)}
.toolbar{display:flex;gap:8px;align-items:flex-end;padding:16px;border-bottom:1px solid var(--line)}
.toolbar label{display:block;font-weight:600;font-size:12px;color:var(--muted);margin-bottom:4px}
.toolbar input[type=search]{width:320px}
.toolbar__count{margin-left:auto;color:var(--muted)}
input[type=text],input[type=email],input[type=tel],input[type=password],input[type=search],select{
padding:8px 10px;border:1px solid #d0d5dd;border-radius:8px;background:#fff;width:100%}
input:focus,select:focus{outline:2px solid #c7c2ff;border-color:var(--brand)}
.table{width:100%;border-collapse:collapse}
.table th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
padding:10px 16px;background:#fafbfc;border-bottom:1px solid var(--line)}
.table td{padding:12px 16px;border-bottom:1px solid var(--line)}
.table tr:last-child td{border-bottom:0}
.table a{font-weight:600;text-decoration:none}
.status{display:inline-block;padding:2px 10px;border-radius:999px;font-size:12px;font-weight:600}
.status--lead{background:#eef4ff;color:#3538cd}
.status--qualified{background:#fef6e7;color:#b54708}
.status--customer{background:#ecfdf3;color:#027a48}
.status--churned{background:#f2f4f7;color:#475467}
.empty{padding:32px;text-align:center;color:var(--muted)}
.flash{background:#ecfdf3;border:1px solid #abefc6;color:#067647;padding:10px 14px;border-radius:8px;
margin-bottom:16px;font-weight:600}
.form{padding:24px;display:grid;grid-template-columns:1fr 1fr;gap:16px 20px;max-width:720px}
.form__field label{display:block;font-weight:600;margin-bottom:4px}
.form__field--error input{border-color:var(--danger)}
.form__error{color:var(--danger);font-size:13px;margin:4px 0 0}
.form__actions{grid-column:1/-1;display:flex;gap:10px}
.details{display:grid;grid-template-columns:160px 1fr;margin:0;padding:8px 24px}
.details dt,.details dd{padding:10px 0;border-bottom:1px solid var(--line);margin:0}
.details dt{color:var(--muted);font-weight:600}
.details dt:last-of-type,.details dd:last-of-type{border-bottom:0}
.login{min-height:100vh;display:grid;place-items:center;background:linear-gradient(135deg,#1c1b3a,#3b2f8f)}
.login__card{width:400px;padding:32px}
.login__brand{display:flex;align-items:center;gap:8px;font-weight:800;font-size:20px;margin-bottom:8px}
.login__card h1{font-size:22px;margin:0 0 4px}
.login__hint{background:#f4f3ff;border:1px solid #d9d6fe;border-radius:8px;padding:10px 12px;margin:16px 0;
color:#3e1c96}
.login__field{margin-bottom:14px}
.login__field label{display:block;font-weight:600;margin-bottom:4px}
.alert{background:#fef3f2;border:1px solid #fecdca;color:var(--danger);padding:10px 12px;border-radius:8px;
margin-bottom:14px}
"""
