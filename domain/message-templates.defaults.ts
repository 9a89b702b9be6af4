// The messages opsflow ships with, in 简体中文 and English, written as a platform would send them; the first version
// of each template, which an ops team then edits and approves as its own. `platform.name` is the operator's brand.
import type { MessageKey, TemplateSource } from './message-templates.ts';

export const DEFAULT_LOCALES = ['zh-CN', 'en'] as const;
export type DefaultLocale = (typeof DEFAULT_LOCALES)[number];

const hi = {
  'zh-CN': '<p>{% if customer.name %}{{ customer.name }}，您好：{% else %}您好：{% endif %}</p>',
  en: '<p>Hi {{ customer.firstName | default: "there" }},</p>',
};

export const DEFAULT_TEMPLATES: Record<MessageKey, Record<DefaultLocale, TemplateSource>> = {
  welcome: {
    'zh-CN': {
      senderName: '{{ platform.name }}团队',
      subject: '欢迎加入{{ platform.name }}',
      preheader: '账号已开通，三分钟带您上手',
      html: `${hi['zh-CN']}
<p>欢迎加入{{ platform.name }}！您的账号已经开通。</p>
<p>第一次使用，建议先完善个人资料，再试试大家最常用的功能，几分钟就能看到效果。</p>
{% if platform.url %}<p><a href="{{ platform.url }}" style="display:inline-block;padding:10px 20px;background:#0b5cad;color:#ffffff;border-radius:6px;text-decoration:none;">开始使用</a></p>{% endif %}
<p>使用中有任何问题，直接回复这封邮件即可，我们会尽快回复。</p>
<p>{{ platform.name }}团队</p>`,
      text: null,
    },
    en: {
      senderName: 'The {{ platform.name }} team',
      subject: 'Welcome to {{ platform.name }}',
      preheader: 'Your account is ready: here is how to get started in three minutes',
      html: `${hi.en}
<p>Welcome to {{ platform.name }}! Your account is ready.</p>
<p>To get the most out of it, complete your profile first, then try the feature people use most. It takes a few minutes.</p>
{% if platform.url %}<p><a href="{{ platform.url }}" style="display:inline-block;padding:10px 20px;background:#0b5cad;color:#ffffff;border-radius:6px;text-decoration:none;">Get started</a></p>{% endif %}
<p>Questions? Just reply to this email and we will get back to you.</p>
<p>The {{ platform.name }} team</p>`,
      text: null,
    },
  },
  tips: {
    'zh-CN': {
      senderName: '{{ platform.name }}团队',
      subject: '三个小技巧，让{{ platform.name }}更好用',
      preheader: '花两分钟，少走弯路',
      html: `${hi['zh-CN']}
<p>很多用户在第一周用了下面三招，上手快了不少：</p>
<ol>
<li><strong>完善个人资料</strong>：推荐内容会更贴合您的兴趣。</li>
<li><strong>把核心功能用一次</strong>：从首页入口进入，跟着引导走完即可。</li>
<li><strong>邀请一位朋友</strong>：一起使用，收获更多。</li>
</ol>
{% if platform.url %}<p><a href="{{ platform.url }}">现在去试试</a></p>{% endif %}`,
      text: null,
    },
    en: {
      senderName: 'The {{ platform.name }} team',
      subject: 'Three tips to get more out of {{ platform.name }}',
      preheader: 'Two minutes now saves you hours later',
      html: `${hi.en}
<p>People who try these three things in their first week get going much faster:</p>
<ol>
<li><strong>Complete your profile</strong>, so what we suggest fits what you like.</li>
<li><strong>Use the key feature once</strong>: start from the home page and follow the guide.</li>
<li><strong>Invite a friend</strong>: it is better together.</li>
</ol>
{% if platform.url %}<p><a href="{{ platform.url }}">Try it now</a></p>{% endif %}`,
      text: null,
    },
  },
  nudge: {
    'zh-CN': {
      senderName: '{{ platform.name }}团队',
      subject: '就差一步了',
      preheader: '核心功能只需两分钟',
      html: `${hi['zh-CN']}
<p>您注册已经有几天了，但还没有用过我们的核心功能。只需要两分钟，就能体验到{{ platform.name }}最有价值的部分。</p>
{% if platform.url %}<p><a href="{{ platform.url }}">继续完成设置</a></p>{% endif %}`,
      text: null,
    },
    en: {
      senderName: 'The {{ platform.name }} team',
      subject: 'You are one step away',
      preheader: 'The key feature takes two minutes',
      html: `${hi.en}
<p>You signed up a few days ago but have not tried the key feature yet. It takes two minutes, and it is the best part of {{ platform.name }}.</p>
{% if platform.url %}<p><a href="{{ platform.url }}">Finish setting up</a></p>{% endif %}`,
      text: null,
    },
  },
  summary: {
    'zh-CN': {
      senderName: '{{ platform.name }}团队',
      subject: '您在{{ platform.name }}的第一周',
      preheader: '接下来可以试试这些',
      html: `${hi['zh-CN']}
<p>第一周过去了，感谢您的陪伴！接下来，您可以：</p>
<ul>
<li>开启消息提醒，不错过重要动态；</li>
<li>看看为您精选的内容；</li>
<li>在设置里调整偏好，让推荐更懂您。</li>
</ul>
{% if platform.url %}<p><a href="{{ platform.url }}">去看看</a></p>{% endif %}`,
      text: null,
    },
    en: {
      senderName: 'The {{ platform.name }} team',
      subject: 'Your first week with {{ platform.name }}',
      preheader: 'What to try next',
      html: `${hi.en}
<p>Your first week is over: thank you for being with us. Here is what you can do next:</p>
<ul>
<li>turn on notifications so you do not miss what matters;</li>
<li>look at what we picked for you;</li>
<li>tune your preferences in settings, so suggestions fit you better.</li>
</ul>
{% if platform.url %}<p><a href="{{ platform.url }}">Take a look</a></p>{% endif %}`,
      text: null,
    },
  },
  winBack: {
    'zh-CN': {
      senderName: '{{ platform.name }}团队',
      subject: '好久不见，送您一张优惠券',
      preheader: '优惠码 {{ coupon.code }}，{{ coupon.validUntil | format_date }}前有效',
      html: `${hi['zh-CN']}
<p>好久没见到您了。为了欢迎您回来，我们为您准备了一张优惠券：</p>
<p style="font-size:20px;font-weight:bold;letter-spacing:2px;">{{ coupon.code }}</p>
<p>下单时输入优惠码即可使用{% if coupon.validUntil %}，有效期至 {{ coupon.validUntil | format_date }}{% endif %}。</p>
{% if platform.url %}<p><a href="{{ platform.url }}">回来看看</a></p>{% endif %}`,
      text: null,
    },
    en: {
      senderName: 'The {{ platform.name }} team',
      subject: 'We miss you: a coupon to come back',
      preheader: 'Code {{ coupon.code }}, valid until {{ coupon.validUntil | format_date }}',
      html: `${hi.en}
<p>It has been a while. To welcome you back, here is a coupon for your next purchase:</p>
<p style="font-size:20px;font-weight:bold;letter-spacing:2px;">{{ coupon.code }}</p>
<p>Enter the code at checkout{% if coupon.validUntil %}; it is valid until {{ coupon.validUntil | format_date }}{% endif %}.</p>
{% if platform.url %}<p><a href="{{ platform.url }}">Come back</a></p>{% endif %}`,
      text: null,
    },
  },
  unsubscribeConfirmation: {
    'zh-CN': {
      senderName: '{{ platform.name }}团队',
      subject: '您已退订{{ platform.name }}的营销邮件',
      preheader: '今后不会再收到此类邮件',
      html: `${hi['zh-CN']}
<p>您已成功退订{{ platform.name }}的营销邮件，今后不会再收到此类邮件。账号通知等必要邮件不受影响。</p>
<p>如果是误操作，可以<a href="{{ links.resubscribe }}">重新订阅</a>。</p>`,
      text: null,
    },
    en: {
      senderName: 'The {{ platform.name }} team',
      subject: 'You are unsubscribed from {{ platform.name }} marketing emails',
      preheader: 'You will not get these emails any more',
      html: `${hi.en}
<p>You are unsubscribed from {{ platform.name }}'s marketing emails and will not get them any more. Emails about your account still reach you.</p>
<p>Did not mean to? You can <a href="{{ links.resubscribe }}">subscribe again</a>.</p>`,
      text: null,
    },
  },
  campaign: {
    'zh-CN': {
      senderName: '{{ platform.name }}',
      subject: '{{ campaign.subject }}',
      preheader: '{{ campaign.paragraphs | first | truncate: 60 }}',
      html: `{% for p in campaign.paragraphs %}<p>{{ p }}</p>
{% endfor %}{% if platform.url %}<p><a href="{{ platform.url }}" style="display:inline-block;padding:10px 20px;background:#0b5cad;color:#ffffff;border-radius:6px;text-decoration:none;">立即查看</a></p>{% endif %}
<p>{{ platform.name }}</p>`,
      text: null,
    },
    en: {
      senderName: '{{ platform.name }}',
      subject: '{{ campaign.subject }}',
      preheader: '{{ campaign.paragraphs | first | truncate: 90 }}',
      html: `{% for p in campaign.paragraphs %}<p>{{ p }}</p>
{% endfor %}{% if platform.url %}<p><a href="{{ platform.url }}" style="display:inline-block;padding:10px 20px;background:#0b5cad;color:#ffffff;border-radius:6px;text-decoration:none;">Take a look</a></p>{% endif %}
<p>{{ platform.name }}</p>`,
      text: null,
    },
  },
  contractSignLink: {
    'zh-CN': {
      senderName: '{{ platform.name }}合作团队',
      subject: '{% if reminder %}提醒：{% endif %}您的合作合同待签署',
      preheader: '请在 {{ signBy | format_datetime }} 前签署',
      html: `<p>{{ partner.name }}，您好：</p>
<p>{% if reminder %}您的合同还在等待您的签署。{% endif %}我们与您的合作合同已准备就绪，请查看条款并签署。</p>
<ul>
<li>合作内容：{{ contract.scope }}</li>
<li>合作期限：{{ contract.start | format_date }} 至 {{ contract.end | format_date }}（{% case contract.cadence %}{% when 'weekly' %}按周{% when 'quarterly' %}按季度{% else %}按月{% endcase %}结算）</li>
<li>固定费用：每期 {{ contract.fee | format_money: contract.currency }}</li>
</ul>
<p><a href="{{ links.sign }}" style="display:inline-block;padding:10px 20px;background:#0b5cad;color:#ffffff;border-radius:6px;text-decoration:none;">查看完整条款并签署</a></p>
<p>此签署链接仅供您本人使用，只能使用一次，{{ signBy | format_datetime }} 前有效；此前发送的链接已失效。</p>`,
      text: `{{ partner.name }}，您好：

{% if reminder %}您的合同还在等待您的签署。{% endif %}我们与您的合作合同已准备就绪，请查看条款并签署。

合作内容：{{ contract.scope }}
合作期限：{{ contract.start | format_date }} 至 {{ contract.end | format_date }}（{% case contract.cadence %}{% when 'weekly' %}按周{% when 'quarterly' %}按季度{% else %}按月{% endcase %}结算）
固定费用：每期 {{ contract.fee | format_money: contract.currency }}

查看完整条款并签署：
{{ links.sign }}

此签署链接仅供您本人使用，只能使用一次，{{ signBy | format_datetime }} 前有效；此前发送的链接已失效。`,
    },
    en: {
      senderName: 'The {{ platform.name }} partnerships team',
      subject: '{% if reminder %}Reminder: {% endif %}Your contract is ready to sign',
      preheader: 'Please sign by {{ signBy | format_datetime }}',
      html: `<p>Hello {{ partner.name }},</p>
<p>{% if reminder %}Your contract is still waiting for your signature. {% endif %}Your contract with us is ready: please review the terms and sign.</p>
<ul>
<li>Scope: {{ contract.scope }}</li>
<li>Term: {{ contract.start | format_date }} to {{ contract.end | format_date }}, evaluated {{ contract.cadence }}</li>
<li>Fee: {{ contract.fee | format_money: contract.currency }} per period</li>
</ul>
<p><a href="{{ links.sign }}" style="display:inline-block;padding:10px 20px;background:#0b5cad;color:#ffffff;border-radius:6px;text-decoration:none;">Read the full terms and sign</a></p>
<p>This signing link is yours alone, works once and until {{ signBy | format_datetime }}; any earlier link no longer works.</p>`,
      text: `Hello {{ partner.name }},

{% if reminder %}Your contract is still waiting for your signature. {% endif %}Your contract with us is ready: please review the terms and sign.

Scope: {{ contract.scope }}
Term: {{ contract.start | format_date }} to {{ contract.end | format_date }}, evaluated {{ contract.cadence }}
Fee: {{ contract.fee | format_money: contract.currency }} per period

Read the full terms and sign:
{{ links.sign }}

This signing link is yours alone, works once and until {{ signBy | format_datetime }}; any earlier link no longer works.`,
    },
  },
  contractActivated: {
    'zh-CN': {
      senderName: '{{ platform.name }}合作团队',
      subject: '合作已生效',
      preheader: '您的专属推广码：{{ contract.trackingCode }}',
      html: `<p>{{ partner.name }}，您好：</p>
<p>感谢您的签署！合作期限为 {{ contract.start | format_date }} 至 {{ contract.end | format_date }}。</p>
<p>您的专属推广码：<strong>{{ contract.trackingCode }}</strong>。通过该推广码带来的流量和销售都会计入您的业绩。</p>`,
      text: null,
    },
    en: {
      senderName: 'The {{ platform.name }} partnerships team',
      subject: 'Your partnership is active',
      preheader: 'Your tracking code: {{ contract.trackingCode }}',
      html: `<p>Hello {{ partner.name }}, thank you for signing.</p>
<p>The partnership runs from {{ contract.start | format_date }} to {{ contract.end | format_date }}.</p>
<p>Your tracking code: <strong>{{ contract.trackingCode }}</strong>. Sales and traffic with it are credited to you.</p>`,
      text: null,
    },
  },
  contractTerminated: {
    'zh-CN': {
      senderName: '{{ platform.name }}合作团队',
      subject: '合作已终止',
      preheader: '{{ contract.reason }}',
      html: `<p>{{ partner.name }}，您好：</p>
<p>我们的合作已终止。原因：{{ contract.reason }}</p>
<p>进行中的结算周期将按比例结算，您的推广码即日起失效。</p>`,
      text: null,
    },
    en: {
      senderName: 'The {{ platform.name }} partnerships team',
      subject: 'Your partnership has been terminated',
      preheader: '{{ contract.reason }}',
      html: `<p>Hello {{ partner.name }}, the partnership has been terminated.</p>
<p>Reason: {{ contract.reason }}</p>
<p>The period under way is settled pro rata, and your tracking code no longer works.</p>`,
      text: null,
    },
  },
};
