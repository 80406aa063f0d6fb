// Generated from templates/*.hbs by scripts/embed-templates.mjs with handlebars 4.7.10; do not edit.
// @ts-nocheck -- Handlebars' generated code (TemplateSpecification is the global type handlebars declares)

/** Every template, precompiled, by file name without `.hbs`. */
export const templateSpecs: Readonly<Record<string, TemplateSpecification>> = {
  "export-index": {"0":function(container,depth0,helpers,partials,data) {
    var lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<p class=\"topic\">"
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"topic") : depth0), depth0))
    + "</p>";
},"1":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=container.lambda, alias2=container.escapeExpression, alias3=depth0 != null ? depth0 : (container.nullContext || {}), lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<li><a href=\""
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"name") : depth0), depth0))
    + "\">Part "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"number") : depth0), depth0))
    + "</a>: "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"messageCount") : depth0), depth0))
    + " messages on "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"dayCount") : depth0), depth0))
    + " "
    + ((stack1 = lookupProperty(helpers,"if").call(alias3,(depth0 != null ? lookupProperty(depth0,"oneDay") : depth0),{"name":"if","hash":{},"fn":container.program(2, data, 0),"inverse":container.program(3, data, 0),"loc":{"start":{"line":23,"column":101},"end":{"line":23,"column":137}}})) != null ? stack1 : "")
    + ((stack1 = lookupProperty(helpers,"if").call(alias3,(depth0 != null ? lookupProperty(depth0,"from") : depth0),{"name":"if","hash":{},"fn":container.program(4, data, 0),"inverse":container.noop,"loc":{"start":{"line":23,"column":137},"end":{"line":23,"column":259}}})) != null ? stack1 : "")
    + "</li>\n";
},"2":function(container,depth0,helpers,partials,data) {
    return "day";
},"3":function(container,depth0,helpers,partials,data) {
    return "days";
},"4":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=container.lambda, alias2=container.escapeExpression, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return ", <time datetime=\""
    + alias2(alias1(((stack1 = (depth0 != null ? lookupProperty(depth0,"from") : depth0)) != null ? lookupProperty(stack1,"iso") : stack1), depth0))
    + "\">"
    + alias2(alias1(((stack1 = (depth0 != null ? lookupProperty(depth0,"from") : depth0)) != null ? lookupProperty(stack1,"label") : stack1), depth0))
    + "</time> – <time datetime=\""
    + alias2(alias1(((stack1 = (depth0 != null ? lookupProperty(depth0,"to") : depth0)) != null ? lookupProperty(stack1,"iso") : stack1), depth0))
    + "\">"
    + alias2(alias1(((stack1 = (depth0 != null ? lookupProperty(depth0,"to") : depth0)) != null ? lookupProperty(stack1,"label") : stack1), depth0))
    + "</time>";
},"compiler":[8,">= 4.3.0"],"main":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=container.lambda, alias2=container.escapeExpression, alias3=depth0 != null ? depth0 : (container.nullContext || {}), lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<!doctype html>\n<html lang=\""
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"language") : depth0), depth0))
    + "\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'self' 'unsafe-inline'; font-src 'self'; img-src 'self'; media-src 'self'; base-uri 'none'; form-action 'none'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light dark\">\n<title>"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"roomTitle") : depth0), depth0))
    + " — export</title>\n"
    + ((stack1 = container.invokePartial(lookupProperty(partials,"style"),depth0,{"name":"style","helpers":helpers,"partials":partials,"decorators":container.decorators})) != null ? stack1 : "")
    + "</head>\n<body>\n<a class=\"skip-link\" href=\"#messages\">Skip to the parts</a>\n<header class=\"export\">\n<h1>"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"roomTitle") : depth0), depth0))
    + "</h1>\n"
    + ((stack1 = lookupProperty(helpers,"if").call(alias3,(depth0 != null ? lookupProperty(depth0,"topic") : depth0),{"name":"if","hash":{},"fn":container.program(0, data, 0),"inverse":container.noop,"loc":{"start":{"line":16,"column":0},"end":{"line":16,"column":50}}})) != null ? stack1 : "")
    + "\n<p>Messages from <time datetime=\""
    + alias2(alias1(((stack1 = (depth0 != null ? lookupProperty(depth0,"range") : depth0)) != null ? lookupProperty(stack1,"from") : stack1), depth0))
    + "\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"rangeFromLabel") : depth0), depth0))
    + "</time> to <time datetime=\""
    + alias2(alias1(((stack1 = (depth0 != null ? lookupProperty(depth0,"range") : depth0)) != null ? lookupProperty(stack1,"to") : stack1), depth0))
    + "\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"rangeToLabel") : depth0), depth0))
    + "</time> ("
    + alias2(alias1(((stack1 = (depth0 != null ? lookupProperty(depth0,"range") : depth0)) != null ? lookupProperty(stack1,"timezone") : stack1), depth0))
    + ")</p>\n<p>Exported by "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"exportedByLabel") : depth0), depth0))
    + " at <time datetime=\""
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"exportedAt") : depth0), depth0))
    + "\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"exportedAtLabel") : depth0), depth0))
    + "</time></p>\n</header>\n<main id=\"messages\">\n<h2 class=\"day\">"
    + alias2(alias1(((stack1 = (depth0 != null ? lookupProperty(depth0,"parts") : depth0)) != null ? lookupProperty(stack1,"length") : stack1), depth0))
    + " parts, "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"messageCount") : depth0), depth0))
    + " messages</h2>\n<ul class=\"parts\">\n"
    + ((stack1 = lookupProperty(helpers,"each").call(alias3,(depth0 != null ? lookupProperty(depth0,"parts") : depth0),{"name":"each","hash":{},"fn":container.program(1, data, 0),"inverse":container.noop,"loc":{"start":{"line":23,"column":0},"end":{"line":24,"column":9}}})) != null ? stack1 : "")
    + "</ul>\n</main>\n</body>\n</html>\n";
},"usePartial":true},
  "export-page-end": {"0":function(container,depth0,helpers,partials,data) {
    var stack1, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<nav class=\"parts\" aria-label=\"Parts, after this one\"><a href=\""
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"nextPart") : depth0), depth0))
    + "\">next part →</a>"
    + ((stack1 = lookupProperty(helpers,"if").call(depth0 != null ? depth0 : (container.nullContext || {}),(depth0 != null ? lookupProperty(depth0,"indexPage") : depth0),{"name":"if","hash":{},"fn":container.program(1, data, 0),"inverse":container.noop,"loc":{"start":{"line":2,"column":108},"end":{"line":2,"column":172}}})) != null ? stack1 : "")
    + "</nav>";
},"1":function(container,depth0,helpers,partials,data) {
    var lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return " · <a href=\""
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"indexPage") : depth0), depth0))
    + "\">all parts</a>";
},"2":function(container,depth0,helpers,partials,data) {
    var stack1, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return ((stack1 = lookupProperty(helpers,"if").call(depth0 != null ? depth0 : (container.nullContext || {}),(depth0 != null ? lookupProperty(depth0,"indexPage") : depth0),{"name":"if","hash":{},"fn":container.program(3, data, 0),"inverse":container.noop,"loc":{"start":{"line":2,"column":186},"end":{"line":2,"column":295}}})) != null ? stack1 : "");
},"3":function(container,depth0,helpers,partials,data) {
    var lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<nav class=\"parts\" aria-label=\"All parts\"><a href=\""
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"indexPage") : depth0), depth0))
    + "\">all parts</a></nav>";
},"compiler":[8,">= 4.3.0"],"main":function(container,depth0,helpers,partials,data) {
    var stack1, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "</main>\n"
    + ((stack1 = lookupProperty(helpers,"if").call(depth0 != null ? depth0 : (container.nullContext || {}),(depth0 != null ? lookupProperty(depth0,"nextPart") : depth0),{"name":"if","hash":{},"fn":container.program(0, data, 0),"inverse":container.program(2, data, 0),"loc":{"start":{"line":2,"column":0},"end":{"line":2,"column":302}}})) != null ? stack1 : "")
    + "\n<footer class=\"export\"><p style=\"padding: 0 24px; color: var(--muted); font-size: 12px;\">"
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"messageCount") : depth0), depth0))
    + " messages in this part.</p></footer>\n</body>\n</html>\n";
}},
  "export-page-start": {"0":function(container,depth0,helpers,partials,data) {
    var lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return " ("
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"partLabel") : depth0), depth0))
    + ")";
},"1":function(container,depth0,helpers,partials,data) {
    var lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<p class=\"topic\">"
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"topic") : depth0), depth0))
    + "</p>";
},"2":function(container,depth0,helpers,partials,data) {
    var lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return " · "
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"partLabel") : depth0), depth0));
},"3":function(container,depth0,helpers,partials,data) {
    var stack1, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<nav class=\"parts\" aria-label=\"Parts, before this one\"><a href=\""
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"previousPart") : depth0), depth0))
    + "\">← previous part</a>"
    + ((stack1 = lookupProperty(helpers,"if").call(depth0 != null ? depth0 : (container.nullContext || {}),(depth0 != null ? lookupProperty(depth0,"indexPage") : depth0),{"name":"if","hash":{},"fn":container.program(4, data, 0),"inverse":container.noop,"loc":{"start":{"line":20,"column":121},"end":{"line":20,"column":185}}})) != null ? stack1 : "")
    + "</nav>";
},"4":function(container,depth0,helpers,partials,data) {
    var lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return " · <a href=\""
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"indexPage") : depth0), depth0))
    + "\">all parts</a>";
},"compiler":[8,">= 4.3.0"],"main":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=container.lambda, alias2=container.escapeExpression, alias3=depth0 != null ? depth0 : (container.nullContext || {}), lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<!doctype html>\n<html lang=\""
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"language") : depth0), depth0))
    + "\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'self' 'unsafe-inline'; font-src 'self'; img-src 'self'; media-src 'self'; base-uri 'none'; form-action 'none'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light dark\">\n<title>"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"roomTitle") : depth0), depth0))
    + " — export"
    + ((stack1 = lookupProperty(helpers,"if").call(alias3,(depth0 != null ? lookupProperty(depth0,"partLabel") : depth0),{"name":"if","hash":{},"fn":container.program(0, data, 0),"inverse":container.noop,"loc":{"start":{"line":9,"column":29},"end":{"line":9,"column":69}}})) != null ? stack1 : "")
    + "</title>\n"
    + ((stack1 = container.invokePartial(lookupProperty(partials,"style"),depth0,{"name":"style","helpers":helpers,"partials":partials,"decorators":container.decorators})) != null ? stack1 : "")
    + "</head>\n<body>\n<a class=\"skip-link\" href=\"#messages\">Skip to the messages</a>\n<header class=\"export\">\n<h1>"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"roomTitle") : depth0), depth0))
    + "</h1>\n"
    + ((stack1 = lookupProperty(helpers,"if").call(alias3,(depth0 != null ? lookupProperty(depth0,"topic") : depth0),{"name":"if","hash":{},"fn":container.program(1, data, 0),"inverse":container.noop,"loc":{"start":{"line":16,"column":0},"end":{"line":16,"column":50}}})) != null ? stack1 : "")
    + "\n<p>Messages from <time datetime=\""
    + alias2(alias1(((stack1 = (depth0 != null ? lookupProperty(depth0,"range") : depth0)) != null ? lookupProperty(stack1,"from") : stack1), depth0))
    + "\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"rangeFromLabel") : depth0), depth0))
    + "</time> to <time datetime=\""
    + alias2(alias1(((stack1 = (depth0 != null ? lookupProperty(depth0,"range") : depth0)) != null ? lookupProperty(stack1,"to") : stack1), depth0))
    + "\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"rangeToLabel") : depth0), depth0))
    + "</time> ("
    + alias2(alias1(((stack1 = (depth0 != null ? lookupProperty(depth0,"range") : depth0)) != null ? lookupProperty(stack1,"timezone") : stack1), depth0))
    + ")</p>\n<p>Exported by "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"exportedByLabel") : depth0), depth0))
    + " at <time datetime=\""
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"exportedAt") : depth0), depth0))
    + "\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"exportedAtLabel") : depth0), depth0))
    + "</time>"
    + ((stack1 = lookupProperty(helpers,"if").call(alias3,(depth0 != null ? lookupProperty(depth0,"partLabel") : depth0),{"name":"if","hash":{},"fn":container.program(2, data, 0),"inverse":container.noop,"loc":{"start":{"line":18,"column":96},"end":{"line":18,"column":136}}})) != null ? stack1 : "")
    + "</p>\n</header>\n"
    + ((stack1 = lookupProperty(helpers,"if").call(alias3,(depth0 != null ? lookupProperty(depth0,"previousPart") : depth0),{"name":"if","hash":{},"fn":container.program(3, data, 0),"inverse":container.noop,"loc":{"start":{"line":20,"column":0},"end":{"line":20,"column":198}}})) != null ? stack1 : "")
    + "\n<main id=\"messages\">\n";
},"usePartial":true},
  "export-style": {"compiler":[8,">= 4.3.0"],"main":function(container,depth0,helpers,partials,data) {
    return "<style>\n:root { color-scheme: light dark; --background: #fff; --text: #1f2329; --muted: #6c727a; --line: #e4e7ea; --panel: #f7f8fa; --link: #095ad2; --mention: #eaf2fe; --code: #f2f3f5; --quote: #cbced1; --code-keyword: #b3135a; --code-string: #1a7f37; --code-number: #8a5300; --code-title: #6639ba; --code-attr: #0550ae; }\n@media (prefers-color-scheme: dark) {\n  :root { --background: #15181d; --text: #e4e7ea; --muted: #9ea2a8; --line: #2f343d; --panel: #1f2329; --link: #7cb1ff; --mention: #10294d; --code: #2a2e35; --quote: #4b5058; --code-keyword: #ff7b9c; --code-string: #7ee787; --code-number: #f0b36b; --code-title: #d2a8ff; --code-attr: #79c0ff; }\n}\nbody { font: 15px/1.45 system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif, \"Apple Color Emoji\", \"Segoe UI Emoji\", \"Noto Color Emoji\"; color: var(--text); background: var(--background); margin: 0; overflow-wrap: anywhere; }\na { color: var(--link); }\n.skip-link { position: absolute; left: -10000px; }\n.skip-link:focus { left: 8px; top: 8px; background: var(--background); padding: 4px 8px; z-index: 1; }\nheader.export { padding: 16px 24px; border-bottom: 1px solid var(--line); background: var(--panel); }\nheader.export h1 { font-size: 20px; margin: 0 0 4px; }\nheader.export p { margin: 2px 0; color: var(--muted); font-size: 13px; }\nnav.parts { padding: 8px 24px; font-size: 13px; }\nmain { padding: 0 24px 24px; max-width: 960px; }\nh2.day { font-size: 13px; color: var(--muted); border-bottom: 1px solid var(--line); padding: 16px 0 4px; margin: 0 0 8px; }\narticle.message { display: grid; grid-template-columns: 36px minmax(0, 1fr); column-gap: 10px; padding: 6px 0 2px; }\narticle.message.grouped { padding-top: 0; }\narticle.message.grouped .meta { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }\n.avatar { width: 36px; height: 36px; border-radius: 6px; position: relative; overflow: hidden; display: flex; align-items: center; justify-content: center; font-size: 14px; font-weight: 600; color: #fff; background: hsl(var(--hue) 45% 32%); }\n/* A person's picture lies over their initials: a picture missing from the archive leaves them. */\n.avatar img { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: cover; }\n.gutter { font-size: 11px; line-height: 21px; color: var(--muted); text-align: right; white-space: nowrap; direction: ltr; }\n.content { min-width: 0; }\narticle.system { display: block; color: var(--muted); font-style: italic; padding-left: 46px; }\n.meta { font-size: 13px; }\n.meta .author { font-weight: 600; }\n.meta .username, .meta time, .edited { color: var(--muted); }\ndetails.history { font-size: 13px; margin: 2px 0; }\ndetails.history summary, .version-meta, section.deleted li { color: var(--muted); font-size: 12px; }\ndetails.history ol { margin: 2px 0; padding-left: 22px; }\n.text p { margin: 2px 0; white-space: pre-wrap; }\n.md-heading { font-weight: 700; font-size: 16px; }\n.md-code, code.md-code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; background: var(--code); border-radius: 3px; padding: 0 3px; }\n/* Typeset formulas stay in their box: \\smash or \\raisebox cannot draw over other messages. */\n.md-math { display: inline-block; max-width: 100%; overflow: hidden; vertical-align: middle; }\n/* Code highlighted at export time (highlight.js classes), in the page's light and dark colours. */\n.hljs-keyword, .hljs-selector-tag, .hljs-literal, .hljs-doctag { color: var(--code-keyword); }\n.hljs-string, .hljs-regexp, .hljs-addition, .hljs-attribute { color: var(--code-string); }\n.hljs-number, .hljs-symbol, .hljs-bullet, .hljs-variable, .hljs-template-variable { color: var(--code-number); }\n.hljs-title, .hljs-section, .hljs-built_in, .hljs-type, .hljs-name, .hljs-selector-id, .hljs-selector-class { color: var(--code-title); }\n.hljs-comment, .hljs-quote, .hljs-meta, .hljs-deletion { color: var(--muted); font-style: italic; }\n.hljs-attr, .hljs-property, .hljs-params { color: var(--code-attr); }\npre.md-pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; background: var(--code); border-radius: 4px; padding: 6px 8px; white-space: pre-wrap; margin: 4px 0; }\nblockquote, .quote { border-left: 3px solid var(--quote); margin: 4px 0; padding: 2px 10px; }\n.quote-text p, .md-quote p { margin: 2px 0; white-space: pre-wrap; }\narticle.system .quote { font-style: normal; color: var(--text); }\n.quote .quote-meta { font-size: 12px; color: var(--muted); }\n.md-list { margin: 2px 0; padding-left: 22px; }\n.md-mention { background: var(--mention); color: var(--link); border-radius: 3px; padding: 0 2px; }\n.md-channel { color: var(--link); }\n.md-spoiler { cursor: pointer; }\n.md-spoiler-toggle { position: absolute; opacity: 0; width: 1px; height: 1px; margin: 0; }\n.md-spoiler-label { background: var(--line); color: var(--muted); border-radius: 3px; padding: 0 6px; font-size: 12px; }\n.md-spoiler-text { display: none; background: var(--line); border-radius: 3px; }\n.md-spoiler-toggle:checked ~ .md-spoiler-label { display: none; }\n.md-spoiler-toggle:checked ~ .md-spoiler-text { display: inline; }\n.md-spoiler-toggle:focus-visible ~ .md-spoiler-label { outline: 2px solid var(--link); }\ndetails.md-spoiler-block > summary { color: var(--muted); font-size: 12px; cursor: pointer; }\n.md-tasks { list-style: none; padding-left: 4px; margin: 2px 0; }\n.md-emoji-big { font-size: 32px; line-height: 1.2; margin: 0; }\n.md-emoji-custom { color: var(--muted); font-style: italic; }\n.md-emoji-picture { height: 1.375em; width: auto; max-width: 4em; vertical-align: -0.3em; }\n.md-emoji-big .md-emoji-picture { height: 32px; max-width: none; }\n.md-table-wrap { overflow-x: auto; max-width: 100%; }\n.md-table { border-collapse: collapse; margin: 4px 0; overflow-wrap: normal; word-break: normal; }\n.md-cell { border: 1px solid var(--quote); padding: 2px 6px; }\n.md-cell[data-align=\"left\"] { text-align: left; }\n.md-cell[data-align=\"right\"] { text-align: right; }\n.md-cell[data-align=\"center\"] { text-align: center; }\n.thread, .pinned, .replies { font-size: 12px; color: var(--link); }\na.permalink { color: inherit; text-decoration: none; }\na.permalink:hover, a.permalink:focus { text-decoration: underline; }\n.thread-note { font-size: 12px; color: var(--muted); padding-left: 46px; margin: 4px 0; }\n.thread .excerpt { color: var(--muted); }\nul.reactions { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px; }\nul.reactions li { font-size: 12px; border: 1px solid var(--line); border-radius: 10px; padding: 0 8px; }\n.attachment, .preview { border-left: 3px solid var(--quote); padding: 2px 8px; margin: 4px 0; }\n.preview .description { color: var(--muted); font-size: 13px; }\nul.uploads { list-style: none; padding: 0; margin: 4px 0; font-size: 13px; }\nul.uploads video, ul.uploads audio { display: block; max-width: min(100%, 480px); margin: 4px 0; }\nul.uploads img { display: block; max-width: min(100%, 480px); max-height: 360px; height: auto; border-radius: 4px; margin: 4px 0; }\nul.parts { padding-left: 20px; }\n@media (max-width: 480px) {\n  header.export, nav.parts { padding-left: 12px; padding-right: 12px; }\n  main { padding: 0 12px 16px; }\n  article.message { grid-template-columns: 28px minmax(0, 1fr); column-gap: 8px; }\n  .avatar { width: 28px; height: 28px; font-size: 12px; }\n  .gutter { white-space: normal; font-size: 10px; line-height: 12px; padding-top: 2px; }\n  article.system { padding-left: 36px; }\n}\n@media print {\n  :root { --background: #fff; --text: #000; --muted: #444; --line: #bbb; --panel: #fff; --link: #000; --mention: #fff; --code: #f4f4f4; }\n  body { font-size: 11pt; }\n  nav.parts { display: none; }\n  main { max-width: none; }\n  article.message { break-inside: avoid; }\n  .avatar { border: 1px solid #999; color: #000; background: #fff; }\n  a[href^=\"http\"]:not(.md-link-bare)::after { content: \" (\" attr(href) \")\"; font-size: 9pt; color: #444; }\n  .md-spoiler-label { display: none; }\n  .md-spoiler-text { display: inline; }\n}\n</style>\n";
}},
  "mail-export-ready": {"0":function(container,depth0,helpers,partials,data) {
    var alias1=container.lambda, alias2=container.escapeExpression, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<p><a href=\""
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"link") : depth0), depth0))
    + "\" style=\"color:#095ad2;\">Download the export</a> — the link works until <time datetime=\""
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"expiresAt") : depth0), depth0))
    + "\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"expiresLabel") : depth0), depth0))
    + "</time>.</p>\n";
},"1":function(container,depth0,helpers,partials,data) {
    var alias1=container.lambda, alias2=container.escapeExpression, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<p>Download it from the server with export id <code>"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"exportId") : depth0), depth0))
    + "</code> until <time datetime=\""
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"expiresAt") : depth0), depth0))
    + "\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"expiresLabel") : depth0), depth0))
    + "</time>.</p>\n";
},"compiler":[8,">= 4.3.0"],"main":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=container.lambda, alias2=container.escapeExpression, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<!doctype html>\n<html lang=\""
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"language") : depth0), depth0))
    + "\">\n<head><meta charset=\"utf-8\"><title>Your export of "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"roomTitle") : depth0), depth0))
    + " is ready</title></head>\n<body style=\"margin:0;padding:20px;background:#ffffff;font-family:Arial,Helvetica,sans-serif;color:#1f2329;font-size:14px;\">\n<p>Hello "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"userLabel") : depth0), depth0))
    + ",</p>\n<p>your "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"format") : depth0), depth0))
    + " export of <b>"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"roomTitle") : depth0), depth0))
    + "</b> ("
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"messageCount") : depth0), depth0))
    + " messages) is ready.</p>\n"
    + ((stack1 = lookupProperty(helpers,"if").call(depth0 != null ? depth0 : (container.nullContext || {}),(depth0 != null ? lookupProperty(depth0,"link") : depth0),{"name":"if","hash":{},"fn":container.program(0, data, 0),"inverse":container.program(1, data, 0),"loc":{"start":{"line":7,"column":0},"end":{"line":11,"column":7}}})) != null ? stack1 : "")
    + "</body>\n</html>\n";
}},
  "mail-export": {"0":function(container,depth0,helpers,partials,data) {
    var stack1, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<p style=\"font-size:14px;\">"
    + ((stack1 = lookupProperty(helpers,"if").call(depth0 != null ? depth0 : (container.nullContext || {}),(depth0 != null ? lookupProperty(depth0,"shownCount") : depth0),{"name":"if","hash":{},"fn":container.program(1, data, 0),"inverse":container.program(2, data, 0),"data":data,"loc":{"start":{"line":10,"column":49},"end":{"line":10,"column":162}}})) != null ? stack1 : "")
    + " are in the attached file "
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"attachmentName") : depth0), depth0))
    + ".</p>";
},"1":function(container,depth0,helpers,partials,data) {
    var alias1=container.lambda, alias2=container.escapeExpression, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "The first "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"shownCount") : depth0), depth0))
    + " of "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"messageCount") : depth0), depth0))
    + " messages are below; all";
},"2":function(container,depth0,helpers,partials,data) {
    return "The messages";
},"3":function(container,depth0,helpers,partials,data) {
    var stack1, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<div style=\"font-size:12px;color:#6c727a;border-bottom:1px solid #e4e7ea;padding:12px 0 2px;margin-bottom:6px;\">"
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"label") : depth0), depth0))
    + "</div>\n"
    + ((stack1 = lookupProperty(helpers,"each").call(depth0 != null ? depth0 : (container.nullContext || {}),(depth0 != null ? lookupProperty(depth0,"messages") : depth0),{"name":"each","hash":{},"fn":container.program(4, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":13,"column":0},"end":{"line":13,"column":44}}})) != null ? stack1 : "")
    + "\n";
},"4":function(container,depth0,helpers,partials,data) {
    var stack1, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return ((stack1 = container.invokePartial(lookupProperty(partials,"mailMessage"),depth0,{"name":"mailMessage","data":data,"helpers":helpers,"partials":partials,"decorators":container.decorators})) != null ? stack1 : "");
},"5":function(container,depth0,helpers,partials,data) {
    var alias1=container.lambda, alias2=container.escapeExpression, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<p style=\"font-size:13px;color:#6c727a;\">… "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"hiddenCount") : depth0), depth0))
    + " more messages in "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"attachmentName") : depth0), depth0))
    + ".</p>";
},"compiler":[8,">= 4.3.0"],"main":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=container.lambda, alias2=container.escapeExpression, alias3=depth0 != null ? depth0 : (container.nullContext || {}), lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<!doctype html>\n<html lang=\""
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"language") : depth0), depth0))
    + "\">\n<head><meta charset=\"utf-8\"><title>"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"subject") : depth0), depth0))
    + "</title></head>\n<body style=\"margin:0;padding:0;background:#ffffff;font-family:Arial,Helvetica,sans-serif,'Apple Color Emoji','Segoe UI Emoji','Noto Color Emoji';color:#1f2329;\">\n<div style=\"padding:16px 20px;border-bottom:1px solid #e4e7ea;background:#f7f8fa;\">\n<div style=\"font-size:18px;font-weight:bold;\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"roomTitle") : depth0), depth0))
    + "</div>\n<div style=\"font-size:12px;color:#6c727a;\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"messageCount") : depth0), depth0))
    + " messages from "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"rangeFromLabel") : depth0), depth0))
    + " to "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"rangeToLabel") : depth0), depth0))
    + " ("
    + alias2(alias1(((stack1 = (depth0 != null ? lookupProperty(depth0,"range") : depth0)) != null ? lookupProperty(stack1,"timezone") : stack1), depth0))
    + "), sent by "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"exportedByLabel") : depth0), depth0))
    + "</div>\n</div>\n<div style=\"padding:8px 20px;\">\n"
    + ((stack1 = lookupProperty(helpers,"if").call(alias3,(depth0 != null ? lookupProperty(depth0,"attachmentName") : depth0),{"name":"if","hash":{},"fn":container.program(0, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":10,"column":0},"end":{"line":10,"column":218}}})) != null ? stack1 : "")
    + "\n"
    + ((stack1 = lookupProperty(helpers,"each").call(alias3,(depth0 != null ? lookupProperty(depth0,"days") : depth0),{"name":"each","hash":{},"fn":container.program(3, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":11,"column":0},"end":{"line":14,"column":9}}})) != null ? stack1 : "")
    + ((stack1 = lookupProperty(helpers,"if").call(alias3,(depth0 != null ? lookupProperty(depth0,"shownCount") : depth0),{"name":"if","hash":{},"fn":container.program(5, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":15,"column":0},"end":{"line":15,"column":124}}})) != null ? stack1 : "")
    + "\n</div>\n</body>\n</html>\n";
},"usePartial":true,"useData":true},
  "mail-message": {"0":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=container.lambda, alias2=container.escapeExpression, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<div style=\"padding:4px 0;font-size:13px;color:#6c727a;font-style:italic;overflow-wrap:anywhere;word-break:break-word;\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"time") : depth0), depth0))
    + " <span dir=\"auto\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"system") : depth0), depth0))
    + "</span></div>\n"
    + ((stack1 = lookupProperty(helpers,"each").call(depth0 != null ? depth0 : (container.nullContext || {}),(depth0 != null ? lookupProperty(depth0,"quotes") : depth0),{"name":"each","hash":{},"fn":container.program(1, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":3,"column":0},"end":{"line":5,"column":9}}})) != null ? stack1 : "");
},"1":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=depth0 != null ? depth0 : (container.nullContext || {}), lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<div style=\"border-left:3px solid #cbced1;margin:4px 0 4px 8px;padding:0 8px;color:#4b5058;font-size:13px;overflow-wrap:anywhere;word-break:break-word;\">"
    + ((stack1 = lookupProperty(helpers,"if").call(alias1,(depth0 != null ? lookupProperty(depth0,"author") : depth0),{"name":"if","hash":{},"fn":container.program(2, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":4,"column":153},"end":{"line":4,"column":202}}})) != null ? stack1 : "")
    + ((stack1 = lookupProperty(helpers,"if").call(alias1,(depth0 != null ? lookupProperty(depth0,"timeLabel") : depth0),{"name":"if","hash":{},"fn":container.program(3, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":4,"column":202},"end":{"line":4,"column":240}}})) != null ? stack1 : "")
    + "<div dir=\"auto\">"
    + ((stack1 = container.lambda((depth0 != null ? lookupProperty(depth0,"bodyHtml") : depth0), depth0)) != null ? stack1 : "")
    + "</div></div>\n";
},"2":function(container,depth0,helpers,partials,data) {
    var lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<b dir=\"auto\">"
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"author") : depth0), depth0))
    + "</b>";
},"3":function(container,depth0,helpers,partials,data) {
    var lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return " "
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"timeLabel") : depth0), depth0));
},"4":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=depth0 != null ? depth0 : (container.nullContext || {}), lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" style=\"border-collapse:collapse;width:100%;table-layout:fixed;\"><tr>\n<td style=\"width:48px;vertical-align:top;padding:4px 8px 4px 0;\">"
    + ((stack1 = lookupProperty(helpers,"if").call(alias1,(depth0 != null ? lookupProperty(depth0,"grouped") : depth0),{"name":"if","hash":{},"fn":container.program(5, data, 0),"inverse":container.program(6, data, 0),"data":data,"loc":{"start":{"line":8,"column":65},"end":{"line":8,"column":397}}})) != null ? stack1 : "")
    + "</td>\n<td style=\"vertical-align:top;padding:4px 0;overflow-wrap:anywhere;word-break:break-word;\">\n"
    + ((stack1 = lookupProperty(helpers,"unless").call(alias1,(depth0 != null ? lookupProperty(depth0,"grouped") : depth0),{"name":"unless","hash":{},"fn":container.program(7, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":10,"column":0},"end":{"line":12,"column":11}}})) != null ? stack1 : "")
    + ((stack1 = lookupProperty(helpers,"if").call(alias1,(depth0 != null ? lookupProperty(depth0,"thread") : depth0),{"name":"if","hash":{},"fn":container.program(10, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":13,"column":0},"end":{"line":15,"column":7}}})) != null ? stack1 : "")
    + ((stack1 = lookupProperty(helpers,"each").call(alias1,(depth0 != null ? lookupProperty(depth0,"quotes") : depth0),{"name":"each","hash":{},"fn":container.program(12, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":16,"column":0},"end":{"line":18,"column":9}}})) != null ? stack1 : "")
    + "<div style=\"font-size:14px;\" dir=\"auto\">"
    + ((stack1 = container.lambda((depth0 != null ? lookupProperty(depth0,"bodyHtml") : depth0), depth0)) != null ? stack1 : "")
    + "</div>\n"
    + ((stack1 = lookupProperty(helpers,"each").call(alias1,(depth0 != null ? lookupProperty(depth0,"attachments") : depth0),{"name":"each","hash":{},"fn":container.program(13, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":20,"column":0},"end":{"line":22,"column":9}}})) != null ? stack1 : "")
    + ((stack1 = lookupProperty(helpers,"each").call(alias1,(depth0 != null ? lookupProperty(depth0,"previews") : depth0),{"name":"each","hash":{},"fn":container.program(17, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":23,"column":0},"end":{"line":25,"column":9}}})) != null ? stack1 : "")
    + ((stack1 = lookupProperty(helpers,"each").call(alias1,(depth0 != null ? lookupProperty(depth0,"uploads") : depth0),{"name":"each","hash":{},"fn":container.program(19, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":26,"column":0},"end":{"line":28,"column":9}}})) != null ? stack1 : "")
    + ((stack1 = lookupProperty(helpers,"if").call(alias1,((stack1 = (depth0 != null ? lookupProperty(depth0,"reactions") : depth0)) != null ? lookupProperty(stack1,"length") : stack1),{"name":"if","hash":{},"fn":container.program(22, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":29,"column":0},"end":{"line":31,"column":7}}})) != null ? stack1 : "")
    + "</td></tr></table>\n";
},"5":function(container,depth0,helpers,partials,data) {
    var lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<div style=\"font-size:11px;line-height:20px;color:#6c727a;text-align:right;white-space:nowrap;\">"
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"time") : depth0), depth0))
    + "</div>";
},"6":function(container,depth0,helpers,partials,data) {
    var alias1=container.lambda, alias2=container.escapeExpression, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<div style=\"width:32px;height:32px;line-height:32px;border-radius:6px;text-align:center;font-size:13px;font-weight:bold;color:#ffffff;background:hsl("
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"avatarHue") : depth0), depth0))
    + ",45%,32%);\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"initials") : depth0), depth0))
    + "</div>";
},"7":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=container.lambda, alias2=container.escapeExpression, alias3=depth0 != null ? depth0 : (container.nullContext || {}), lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<div style=\"font-size:13px;\"><b dir=\"auto\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"authorName") : depth0), depth0))
    + "</b> <span style=\"color:#6c727a;\"><bdi>@"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"username") : depth0), depth0))
    + "</bdi> "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"time") : depth0), depth0))
    + ((stack1 = lookupProperty(helpers,"if").call(alias3,(depth0 != null ? lookupProperty(depth0,"pinned") : depth0),{"name":"if","hash":{},"fn":container.program(8, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":11,"column":124},"end":{"line":11,"column":154}}})) != null ? stack1 : "")
    + ((stack1 = lookupProperty(helpers,"if").call(alias3,(depth0 != null ? lookupProperty(depth0,"edited") : depth0),{"name":"if","hash":{},"fn":container.program(9, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":11,"column":154},"end":{"line":11,"column":184}}})) != null ? stack1 : "")
    + "</span></div>\n";
},"8":function(container,depth0,helpers,partials,data) {
    return " · pinned";
},"9":function(container,depth0,helpers,partials,data) {
    return " · edited";
},"10":function(container,depth0,helpers,partials,data) {
    var stack1, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<div style=\"font-size:12px;color:#6c727a;\">reply in thread"
    + ((stack1 = lookupProperty(helpers,"if").call(depth0 != null ? depth0 : (container.nullContext || {}),((stack1 = (depth0 != null ? lookupProperty(depth0,"thread") : depth0)) != null ? lookupProperty(stack1,"author") : stack1),{"name":"if","hash":{},"fn":container.program(11, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":14,"column":58},"end":{"line":14,"column":148}}})) != null ? stack1 : "")
    + "</div>\n";
},"11":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=container.lambda, alias2=container.escapeExpression, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return ": <bdi>"
    + alias2(alias1(((stack1 = (depth0 != null ? lookupProperty(depth0,"thread") : depth0)) != null ? lookupProperty(stack1,"author") : stack1), depth0))
    + "</bdi> “<bdi>"
    + alias2(alias1(((stack1 = (depth0 != null ? lookupProperty(depth0,"thread") : depth0)) != null ? lookupProperty(stack1,"excerpt") : stack1), depth0))
    + "</bdi>”";
},"12":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=depth0 != null ? depth0 : (container.nullContext || {}), lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<div style=\"border-left:3px solid #cbced1;margin:4px 0;padding:0 8px;color:#4b5058;font-size:13px;\">"
    + ((stack1 = lookupProperty(helpers,"if").call(alias1,(depth0 != null ? lookupProperty(depth0,"author") : depth0),{"name":"if","hash":{},"fn":container.program(2, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":17,"column":100},"end":{"line":17,"column":149}}})) != null ? stack1 : "")
    + ((stack1 = lookupProperty(helpers,"if").call(alias1,(depth0 != null ? lookupProperty(depth0,"timeLabel") : depth0),{"name":"if","hash":{},"fn":container.program(3, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":17,"column":149},"end":{"line":17,"column":187}}})) != null ? stack1 : "")
    + "<div dir=\"auto\">"
    + ((stack1 = container.lambda((depth0 != null ? lookupProperty(depth0,"bodyHtml") : depth0), depth0)) != null ? stack1 : "")
    + "</div></div>\n";
},"13":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=container.lambda, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<div style=\"border-left:3px solid #cbced1;padding:2px 8px;margin:4px 0;font-size:13px;\" dir=\"auto\">"
    + ((stack1 = lookupProperty(helpers,"if").call(depth0 != null ? depth0 : (container.nullContext || {}),(depth0 != null ? lookupProperty(depth0,"href") : depth0),{"name":"if","hash":{},"fn":container.program(14, data, 0),"inverse":container.program(15, data, 0),"data":data,"loc":{"start":{"line":21,"column":99},"end":{"line":21,"column":226}}})) != null ? stack1 : "")
    + ((stack1 = alias1((depth0 != null ? lookupProperty(depth0,"descriptionHtml") : depth0), depth0)) != null ? stack1 : "")
    + ((stack1 = alias1((depth0 != null ? lookupProperty(depth0,"textHtml") : depth0), depth0)) != null ? stack1 : "")
    + "</div>\n";
},"14":function(container,depth0,helpers,partials,data) {
    var stack1, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<a href=\""
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"href") : depth0), depth0))
    + "\" style=\"color:#095ad2;\">"
    + ((stack1 = lookupProperty(helpers,"if").call(depth0 != null ? depth0 : (container.nullContext || {}),(depth0 != null ? lookupProperty(depth0,"title") : depth0),{"name":"if","hash":{},"fn":container.program(15, data, 0),"inverse":container.program(16, data, 0),"data":data,"loc":{"start":{"line":21,"column":153},"end":{"line":21,"column":198}}})) != null ? stack1 : "")
    + "</a>";
},"15":function(container,depth0,helpers,partials,data) {
    var lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"title") : depth0), depth0));
},"16":function(container,depth0,helpers,partials,data) {
    var lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"href") : depth0), depth0));
},"17":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=container.lambda, alias2=container.escapeExpression, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<div style=\"border-left:3px solid #cbced1;padding:2px 8px;margin:4px 0;font-size:13px;\" dir=\"auto\"><a href=\""
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"href") : depth0), depth0))
    + "\" style=\"color:#095ad2;\">"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"title") : depth0), depth0))
    + "</a>"
    + ((stack1 = lookupProperty(helpers,"if").call(depth0 != null ? depth0 : (container.nullContext || {}),(depth0 != null ? lookupProperty(depth0,"description") : depth0),{"name":"if","hash":{},"fn":container.program(18, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":24,"column":154},"end":{"line":24,"column":240}}})) != null ? stack1 : "")
    + "</div>\n";
},"18":function(container,depth0,helpers,partials,data) {
    var lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<div style=\"color:#6c727a;\" dir=\"auto\">"
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"description") : depth0), depth0))
    + "</div>";
},"19":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=depth0 != null ? depth0 : (container.nullContext || {}), lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<div style=\"font-size:13px;color:#6c727a;\">file: <bdi>"
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"name") : depth0), depth0))
    + "</bdi>"
    + ((stack1 = lookupProperty(helpers,"if").call(alias1,(depth0 != null ? lookupProperty(depth0,"size") : depth0),{"name":"if","hash":{},"fn":container.program(20, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":27,"column":68},"end":{"line":27,"column":98}}})) != null ? stack1 : "")
    + ((stack1 = lookupProperty(helpers,"if").call(alias1,(depth0 != null ? lookupProperty(depth0,"descriptionHtml") : depth0),{"name":"if","hash":{},"fn":container.program(21, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":27,"column":98},"end":{"line":27,"column":194}}})) != null ? stack1 : "")
    + "</div>\n";
},"20":function(container,depth0,helpers,partials,data) {
    var lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return " ("
    + container.escapeExpression(container.lambda((depth0 != null ? lookupProperty(depth0,"size") : depth0), depth0))
    + ")";
},"21":function(container,depth0,helpers,partials,data) {
    var stack1, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<div style=\"color:#1f2329;\" dir=\"auto\">"
    + ((stack1 = container.lambda((depth0 != null ? lookupProperty(depth0,"descriptionHtml") : depth0), depth0)) != null ? stack1 : "")
    + "</div>";
},"22":function(container,depth0,helpers,partials,data) {
    var stack1, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<div style=\"font-size:12px;color:#6c727a;\">"
    + ((stack1 = lookupProperty(helpers,"each").call(depth0 != null ? depth0 : (container.nullContext || {}),(depth0 != null ? lookupProperty(depth0,"reactions") : depth0),{"name":"each","hash":{},"fn":container.program(23, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":30,"column":43},"end":{"line":30,"column":214}}})) != null ? stack1 : "")
    + "</div>\n";
},"23":function(container,depth0,helpers,partials,data) {
    var stack1, alias1=container.lambda, alias2=container.escapeExpression, alias3=depth0 != null ? depth0 : (container.nullContext || {}), lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<bdi>"
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"emoji") : depth0), depth0))
    + " "
    + alias2(alias1((depth0 != null ? lookupProperty(depth0,"count") : depth0), depth0))
    + " · "
    + ((stack1 = lookupProperty(helpers,"each").call(alias3,(depth0 != null ? lookupProperty(depth0,"people") : depth0),{"name":"each","hash":{},"fn":container.program(24, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":30,"column":89},"end":{"line":30,"column":163}}})) != null ? stack1 : "")
    + "</bdi>"
    + ((stack1 = lookupProperty(helpers,"unless").call(alias3,(data && lookupProperty(data,"last")),{"name":"unless","hash":{},"fn":container.program(26, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":30,"column":169},"end":{"line":30,"column":205}}})) != null ? stack1 : "");
},"24":function(container,depth0,helpers,partials,data) {
    var stack1, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return "<bdi>"
    + container.escapeExpression(container.lambda(depth0, depth0))
    + "</bdi>"
    + ((stack1 = lookupProperty(helpers,"unless").call(depth0 != null ? depth0 : (container.nullContext || {}),(data && lookupProperty(data,"last")),{"name":"unless","hash":{},"fn":container.program(25, data, 0),"inverse":container.noop,"data":data,"loc":{"start":{"line":30,"column":124},"end":{"line":30,"column":154}}})) != null ? stack1 : "");
},"25":function(container,depth0,helpers,partials,data) {
    return ", ";
},"26":function(container,depth0,helpers,partials,data) {
    return " &nbsp; ";
},"compiler":[8,">= 4.3.0"],"main":function(container,depth0,helpers,partials,data) {
    var stack1, lookupProperty = container.lookupProperty || function(parent, propertyName) {
        if (Object.prototype.hasOwnProperty.call(parent, propertyName)) {
          return parent[propertyName];
        }
        return undefined
    };

  return ((stack1 = lookupProperty(helpers,"if").call(depth0 != null ? depth0 : (container.nullContext || {}),(depth0 != null ? lookupProperty(depth0,"system") : depth0),{"name":"if","hash":{},"fn":container.program(0, data, 0),"inverse":container.program(4, data, 0),"data":data,"loc":{"start":{"line":1,"column":0},"end":{"line":33,"column":7}}})) != null ? stack1 : "");
},"useData":true}
}
